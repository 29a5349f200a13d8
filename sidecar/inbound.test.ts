// The inbound listener in this process, on loopback, with the original destination
// given instead of read from iptables: the peer-facing edge of the sidecar, driven
// with odd identities, silent sockets and floods of malformed requests. Every test
// also asserts that nothing escaped the listener as an uncaught exception or an
// unhandled rejection, which in the real process would have killed the sidecar.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, afterEach, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { Destination } from '../src/net/original-dst.js';
import { ExtendedKeyUsage, createEphemeralCa, generateKeyPair, KeyType } from '../src/pki/index.js';
import { privateKeyToPem } from '../src/pki/index.js';
import type { EphemeralCa } from '../src/pki/index.js';
import { inboundProxyConfig, serverCredentials } from '../test/support/inbound-proxy.js';
import { refusedTarget } from './inbound.js';
import type { InboundDeps } from './inbound.js';
import { createProxy } from './proxy.js';
import type { Proxy } from './proxy.js';

const UNDECLARED_PORT = 7070;
const NS = 'shop';
const id = (sa: string): string => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;

interface Credential {
  readonly cert: string;
  readonly key: string;
}

async function leaf(ca: EphemeralCa, uri: string | undefined): Promise<Credential> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await ca.sign(keys.publicKey, '', uri ? { uris: [uri] } : { dnsNames: ['x.test'] }, [
    ExtendedKeyUsage.ServerAuth,
    ExtendedKeyUsage.ClientAuth,
  ]);
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

/** The app: HTTP that echoes XFCC, and a TCP echo; counts every connection it accepts. */
async function startApp(): Promise<{
  http: number;
  tcp: number;
  accepted: () => number;
  close: () => void;
}> {
  let accepted = 0;
  const h = http.createServer((req, res) =>
    res.end(JSON.stringify({ xfcc: req.headers['x-forwarded-client-cert'] ?? null })),
  );
  const t = net.createServer((s) => s.pipe(s));
  for (const s of [h, t]) s.on('connection', () => accepted++);
  await Promise.all([h, t].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  return {
    http: (h.address() as AddressInfo).port,
    tcp: (t.address() as AddressInfo).port,
    accepted: () => accepted,
    close: () => {
      h.closeAllConnections();
      h.close();
      t.close();
    },
  };
}

interface Harness {
  readonly port: number;
  readonly ca: EphemeralCa;
  readonly lines: string[];
  readonly app: Awaited<ReturnType<typeof startApp>>;
  /** Where the next connections were "originally" addressed (iptables' job in a pod). */
  target: Destination;
  /** weft_sidecar_refused_total for one reason, or all of them ('*'). */
  refused(reason: string): Promise<number>;
  close(): void;
}

interface Options {
  readonly mode: 'STRICT' | 'PERMISSIVE';
  readonly maxConnections?: number;
  readonly firstByteTimeoutSeconds?: number;
  readonly headerTimeoutSeconds?: number;
  readonly tcpIdleTimeoutSeconds?: number;
}

let ca: EphemeralCa;
let serverCred: Credential;

async function harness(o: Options): Promise<Harness> {
  const app = await startApp();
  const lines: string[] = [];
  const log = createLogger({}, 'info', (l) => lines.push(l));
  const mesh = compileMesh(
    MeshConfigSchema.parse({
      inbound: {
        mode: o.mode,
        ports: [
          // The app's real ports differ from the declared ones; `target` maps them.
          { port: app.http, protocol: 'http' },
          { port: app.tcp, protocol: 'tcp' },
        ],
      },
    }),
    NS,
  );
  const creds = serverCredentials(id('web'), serverCred, ca.certPem);
  const registry = new Registry();
  const listen = { host: '127.0.0.1', port: 0 };
  const h: Harness = {
    port: 0,
    ca,
    lines,
    app,
    target: { address: '127.0.0.1', port: app.http },
    async refused(reason) {
      const m = await registry.getSingleMetric('weft_sidecar_refused_total')!.get();
      return m.values
        .filter((v) => reason === '*' || v.labels.reason === reason)
        .reduce((n, v) => n + v.value, 0);
    },
    close: () => undefined,
  };
  const proxy: Proxy = createProxy({
    config: inboundProxyConfig(NS, {
      maxConnections: o.maxConnections,
      firstByteTimeoutSeconds: o.firstByteTimeoutSeconds,
      headerTimeoutSeconds: o.headerTimeoutSeconds,
      tcpIdleTimeoutSeconds: o.tcpIdleTimeoutSeconds,
    }),
    workload: 'web',
    registry,
    log,
    creds,
    mesh: () => mesh,
    originalDst: () => h.target,
  });
  await new Promise<void>((r) => proxy.inbound.listen(listen.port, listen.host, r));
  const sockets = new Set<net.Socket>();
  proxy.inbound.on('connection', (s: net.Socket) => sockets.add(s));
  return Object.assign(h, {
    port: (proxy.inbound.address() as AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      proxy.inbound.close();
      proxy.inboundHttp.h1.closeAllConnections();
      proxy.pool.close();
      app.close();
    },
  });
}

type Outcome = { response: string } | { refused: string };

function settle(socket: net.Socket, resolve: (o: Outcome) => void): void {
  let data = '';
  socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (!data) resolve({ refused: e.code ?? e.message });
  });
  socket.on('close', () => resolve(data ? { response: data } : { refused: 'closed' }));
}

const GET = 'GET /x HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n';

function plain(port: number, bytes: string | Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    settle(s, resolve);
  });
}

function mtls(port: number, cred: Credential, alpn: string, bytes: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca: ca.certPem,
      ...cred,
      ALPNProtocols: [alpn],
      checkServerIdentity: () => undefined,
    });
    s.on('secureConnect', () => s.write(bytes));
    settle(s, resolve);
  });
}

/** Sends `first`, then `rest` a byte every 200 ms until the sidecar closes (10 s at most). */
function dripping(
  port: number,
  rest: string,
  first = '',
): Promise<{ ms: number; received: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(first + rest[0]));
    const started = Date.now();
    let received = '';
    let i = 1;
    const drip = setInterval(() => {
      if (i < rest.length && Date.now() - started < 10_000) s.write(rest[i++]!, 'latin1');
      else s.destroy();
    }, 200);
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => (received += c.toString('latin1')));
    s.on('close', () => {
      clearInterval(drip);
      resolve({ ms: Date.now() - started, received });
    });
  });
}

const status = (o: Outcome): string =>
  'response' in o ? o.response.split('\r\n')[0]! : `refused: ${o.refused}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('inbound listener', () => {
  const escaped: unknown[] = [];
  const onEscape = (err: unknown): void => void escaped.push(err);
  let h: Harness | undefined;

  before(async () => {
    ca = await createEphemeralCa('weft-test-mesh', 3_600_000);
    serverCred = await leaf(ca, id('web'));
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  });
  after(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });
  afterEach(async () => {
    await sleep(50); // a late throw from a closing socket still counts
    h?.close();
    h = undefined;
    assert.deepEqual(escaped.map(String), [], 'errors escaped the listener');
  });

  it('refuses verified peers whose SPIFFE ID is not /ns/<ns>/sa/<sa>, on every ALPN, never crashing', async () => {
    h = await harness({ mode: 'STRICT' });
    const odd = [
      'spiffe://cluster.local/odd',
      'spiffe://cluster.local/ns/Shop/sa/web',
      'spiffe://cluster.local/ns/shop/sa/web/extra',
      'spiffe://cluster.local/ns//sa/web',
      `spiffe://cluster.local/ns/${'a'.repeat(64)}/sa/web`,
    ];
    const cases: [string, number][] = [
      ['http/1.1', h.app.http],
      ['h2', h.app.http],
      ['weft-tcp', h.app.tcp],
    ];
    for (const uri of odd) {
      const cred = await leaf(ca, uri);
      for (const [alpn, port] of cases) {
        h.target = { address: '127.0.0.1', port };
        const outcome = await mtls(h.port, cred, alpn, GET);
        assert.ok('refused' in outcome, `${uri} over ${alpn}: ${status(outcome)}`);
      }
    }
    assert.equal(await h.refused('peer_identity_invalid'), odd.length * cases.length);
    assert.equal(h.app.accepted(), 0, 'no refused peer reached the app');
    // The control: a well-formed identity gets through, and the app learns who called.
    h.target = { address: '127.0.0.1', port: h.app.http };
    const ok = await mtls(h.port, await leaf(ca, id('client')), 'http/1.1', GET);
    assert.match(status(ok), / 200 /);
    assert.match((ok as { response: string }).response, new RegExp(`URI=${id('client')}`));
  });

  it("refuses the proxy's own ports as targets, in STRICT and PERMISSIVE, before any handshake", async () => {
    for (const mode of ['STRICT', 'PERMISSIVE'] as const) {
      h = await harness({ mode });
      const client = await leaf(ca, id('client'));
      for (const port of [15000, 15001, 15006, 15020]) {
        h.target = { address: '127.0.0.1', port };
        assert.ok('refused' in (await plain(h.port, `GET /config_dump HTTP/1.1\r\n\r\n`)));
        assert.ok('refused' in (await mtls(h.port, client, 'http/1.1', GET)));
      }
      assert.equal(await h.refused('proxy_port'), 8, mode);
      h.close();
      h = undefined;
    }
  });

  it('never forwards to a loopback destination other than the pod IP', () => {
    const deps = { podIp: '198.51.100.10', proxyPorts: new Set([15000]) } as unknown as InboundDeps;
    const at = (address: string, port = 6060): string | undefined =>
      refusedTarget({ address, port }, deps);
    assert.equal(at('127.0.0.1'), 'loopback_target');
    assert.equal(at('127.1.2.3'), 'loopback_target');
    assert.equal(at('::1'), 'loopback_target');
    assert.equal(at('0.0.0.0'), 'loopback_target');
    assert.equal(at('198.51.100.10', 15000), 'proxy_port');
    assert.equal(at('198.51.100.10'), undefined);
  });

  it('serves a real client while silent sockets fill the listener (max-connections 8)', async () => {
    h = await harness({ mode: 'PERMISSIVE', maxConnections: 8 });
    const silent: net.Socket[] = [];
    for (let i = 0; i < 30; i++) {
      const s = net.connect({ host: '127.0.0.1', port: h.port });
      s.on('error', () => undefined);
      silent.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    await sleep(100);
    const before = h.app.accepted();
    const results = await Promise.all([plain(h.port, GET), plain(h.port, GET), plain(h.port, GET)]);
    for (const r of results) assert.match(status(r), / 200 /);
    assert.equal(h.app.accepted() - before, 3, 'silent sockets never dialled the app');
    assert.equal(before, 0);
    assert.ok((await h.refused('evicted_silent')) >= 22 + 3);
    for (const s of silent) s.destroy();
  });

  it('closes a client that never speaks after the first-byte timeout, without dialling the app', async () => {
    h = await harness({ mode: 'PERMISSIVE', firstByteTimeoutSeconds: 1 });
    const silentFor = async (port: number): Promise<{ closed: Promise<number> }> => {
      h!.target = { address: '127.0.0.1', port };
      const s = net.connect({ host: '127.0.0.1', port: h!.port });
      s.on('error', () => undefined);
      const started = Date.now();
      const closed = new Promise<number>((r) => s.on('close', () => r(Date.now() - started)));
      await sleep(100); // accepted, its destination read
      return { closed };
    };
    const waits = [await silentFor(h.app.http), await silentFor(UNDECLARED_PORT)];
    const closed = await Promise.all(waits.map((w) => w.closed));
    for (const ms of closed) assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`);
    assert.equal(await h.refused('first_byte_timeout'), 2);
    assert.equal(h.app.accepted(), 0);
  });

  it('cuts a client that sends its request head a byte at a time (slowloris): 408, header_timeout', async () => {
    h = await harness({ mode: 'PERMISSIVE', headerTimeoutSeconds: 1 });
    const cut = await dripping(h.port, 'GET /x HTTP/1.1\r\nHost: web\r\nX-Pad: ' + 'a'.repeat(200));
    assert.ok(cut.ms >= 900 && cut.ms < 3000, `cut after ${cut.ms} ms`);
    assert.match(cut.received, /^HTTP\/1\.1 408 /);
    assert.equal(await h.refused('header_timeout'), 1);
    assert.equal(h.app.accepted(), 0, 'the app was never dialled');
  });

  it('cuts an HTTP/2 client that drips its first request (preface, then a byte at a time)', async () => {
    h = await harness({ mode: 'PERMISSIVE', headerTimeoutSeconds: 1 });
    h.target = { address: '127.0.0.1', port: UNDECLARED_PORT }; // detected as HTTP/2
    const settings = '\x00\x00\x00\x04\x00\x00\x00\x00\x00';
    const headers = '\x00\x00\x40\x01\x04\x00\x00\x00\x01' + '\x00'.repeat(64);
    const cut = await dripping(h.port, headers, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + settings);
    assert.ok(cut.ms >= 900 && cut.ms < 3000, `cut after ${cut.ms} ms`);
    assert.equal(await h.refused('header_timeout'), 1);
  });

  it('closes a silent client under STRICT when its handshake has not started in time', async () => {
    h = await harness({ mode: 'STRICT', firstByteTimeoutSeconds: 1 });
    const s = net.connect({ host: '127.0.0.1', port: h.port });
    s.on('error', () => undefined);
    const started = Date.now();
    await new Promise((r) => s.once('close', r));
    const ms = Date.now() - started;
    assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`);
    assert.equal(h.app.accepted(), 0);
  });

  it('closes an opaque TCP stream idle past the TCP idle timeout', async () => {
    h = await harness({ mode: 'PERMISSIVE', tcpIdleTimeoutSeconds: 1 });
    h.target = { address: '127.0.0.1', port: h.app.tcp };
    const s = net.connect({ host: '127.0.0.1', port: h.port }, () => s.write('ping'));
    const echoed = await new Promise<string>((r) => s.once('data', (c: Buffer) => r(c.toString())));
    assert.equal(echoed, 'ping');
    const started = Date.now();
    await new Promise((r) => s.once('close', r));
    const ms = Date.now() - started;
    assert.ok(ms >= 900 && ms < 3000, `closed after ${ms} ms`);
  });

  it('writes a bounded number of log lines for 2,000 malformed requests and 300 bad handshakes', async () => {
    h = await harness({ mode: 'PERMISSIVE' });
    const bad = 'GET /x HTTP/1.1\r\nHost: web\r\nX-Bad: a\x01b\r\n\r\n';
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 100 }, () => plain(h!.port, bad));
      for (const r of await Promise.all(batch)) assert.match(status(r), / 400 /);
    }
    for (let round = 0; round < 3; round++) {
      // A complete TLS record holding a one-byte ClientHello: refused at once.
      const garbage = Buffer.from('1603010005' + '01000001' + '00', 'hex');
      await Promise.all(Array.from({ length: 100 }, () => plain(h!.port, garbage)));
    }
    assert.equal(await h.refused('tls_handshake'), 300);
    assert.equal(await h.refused('*'), 2300);
    const bytes = h.lines.reduce((n, l) => n + l.length + 1, 0);
    assert.ok(h.lines.length <= 20, `${h.lines.length} lines, ${bytes} bytes`);
  });
});
