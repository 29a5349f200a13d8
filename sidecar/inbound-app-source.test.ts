// Every connection the inbound side makes to its app comes from 127.0.0.6, the one
// source the capture rules let through (src/capture/app-source.ts): otherwise, in a
// pod, the sidecar's dial to its own pod IP would be sent back to its inbound
// listener. Driven in this process on loopback, the original destination given.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { Destination } from '../src/net/original-dst.js';
import { inboundProxyConfig } from '../test/support/inbound-proxy.js';
import { Credentials } from './credentials.js';
import { createProxy } from './proxy.js';
import type { Proxy } from './proxy.js';

const port = (s: net.Server | http2.Http2Server): number => (s.address() as AddressInfo).port;
const listening = (s: net.Server | http2.Http2Server): Promise<void> =>
  new Promise((r) => s.listen(0, '127.0.0.1', r));

/** The app: HTTP/1 (with Upgrade), h2c and a TCP echo, each recording its peers' addresses. */
function startApp(seen: string[]): { h1: http.Server; h2: http2.Http2Server; tcp: net.Server } {
  const h1 = http.createServer((req, res) => res.end(req.socket.remoteAddress));
  h1.on('upgrade', (_req, socket: net.Socket) => {
    socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n');
  });
  const h2 = http2.createServer();
  h2.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end(stream.session?.socket.remoteAddress ?? '');
  });
  const tcp = net.createServer((s) => s.pipe(s));
  for (const s of [h1, h2, tcp]) s.on('connection', (c: net.Socket) => seen.push(c.remoteAddress!));
  return { h1, h2, tcp };
}

function get(proxyPort: number, headers: http.OutgoingHttpHeaders = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: proxyPort, agent: false, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(`${res.statusCode}`);
    });
    req.on('error', reject);
  });
}

function h2Get(proxyPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${proxyPort}`);
    session.on('error', reject);
    const stream = session.request({ ':path': '/' });
    let body = '';
    stream.on('data', (c: Buffer) => (body += c.toString()));
    stream.on('end', () => {
      session.close();
      resolve(body);
    });
    stream.on('error', reject);
  });
}

function tcpEcho(proxyPort: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: proxyPort }, () => s.write(text));
    s.on('data', (c: Buffer) => {
      s.destroy();
      resolve(c.toString());
    });
    s.on('error', reject);
  });
}

describe('inbound: the connections to the app come from 127.0.0.6', () => {
  const seen: string[] = [];
  const app = startApp(seen);
  let proxy: Proxy;
  let target: Destination;

  before(async () => {
    await Promise.all([app.h1, app.h2, app.tcp].map(listening));
    const mesh = compileMesh(
      MeshConfigSchema.parse({
        inbound: {
          mode: 'PERMISSIVE',
          ports: [
            { port: port(app.h1), protocol: 'http' },
            { port: port(app.h2), protocol: 'http2' },
            { port: port(app.tcp), protocol: 'tcp' },
          ],
        },
      }),
      'shop',
    );
    proxy = createProxy({
      config: inboundProxyConfig('shop'),
      workload: 'web',
      registry: new Registry(),
      log: createLogger({}, 'error', () => undefined),
      creds: new Credentials(),
      mesh: () => mesh,
      originalDst: () => target,
    });
    await listening(proxy.inbound);
  });
  after(() => {
    proxy.inbound.close();
    proxy.inboundHttp.h1.closeAllConnections();
    proxy.pool.close();
    for (const s of [app.h1, app.h2, app.tcp]) s.close();
    app.h1.closeAllConnections();
  });

  const via = async (appPort: number, call: () => Promise<string>): Promise<string> => {
    target = { address: '127.0.0.1', port: appPort };
    seen.length = 0;
    const answer = await call();
    assert.deepEqual(seen, ['127.0.0.6'], `the app's peers (${answer})`);
    return answer;
  };

  it('HTTP/1.1 (pooled), HTTP/2, an Upgrade and opaque TCP', async () => {
    const at = port(proxy.inbound);
    assert.equal(await via(port(app.h1), () => get(at)), '200 127.0.0.6');
    assert.equal(await via(port(app.h2), () => h2Get(at)), '127.0.0.6');
    const upgrade = { connection: 'Upgrade', upgrade: 'x' };
    assert.equal(await via(port(app.h1), () => get(at, upgrade)), '101');
    assert.equal(await via(port(app.tcp), () => tcpEcho(at, 'ping')), 'ping');
  });
});
