// A TrafficPolicy's connection settings reach the upstream connections: requests
// per connection and the idle timeout on HTTP/1.1 pools (against a real server that
// counts its connections), and the connect timeout on HTTP/2 sessions (against a
// peer that accepts and never finishes the TLS handshake).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import type { Credentials } from './credentials.js';
import { CONNECT_TIMEOUT_MS, UpstreamPool, poolOptions } from './upstream-pool.js';
import type { ConnectionSettings } from './upstream-pool.js';

/** Credentials as far as the pool uses them: a client context, and no rotation. */
const creds = Object.assign(new EventEmitter(), {
  clientContext: () => tls.createSecureContext({}),
}) as unknown as Credentials;

const settings = (s: Partial<ConnectionSettings>): ConnectionSettings => ({
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
  idleTimeoutMs: 0,
  maxRequestsPerConnection: 0,
  ...s,
});

describe('poolOptions', () => {
  it("maps the policy's settings to undici's, keeping weft's defaults without one", () => {
    assert.deepEqual(poolOptions(undefined), {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      keepAliveTimeout: 60_000,
    });
    assert.deepEqual(
      poolOptions(
        settings({ connectTimeoutMs: 250, idleTimeoutMs: 200, maxRequestsPerConnection: 1 }),
      ),
      {
        connectTimeoutMs: 250,
        keepAliveTimeout: 200,
        keepAliveMaxTimeout: 200,
        pipelining: 0,
      },
    );
    // undici lets a connection carry maxRequestsPerClient + 1 requests.
    assert.equal(poolOptions(settings({ maxRequestsPerConnection: 3 })).maxRequestsPerClient, 2);
    // Istio's default idle timeout (1 h) only caps the upstream's own hint.
    assert.deepEqual(poolOptions(settings({ idleTimeoutMs: 3_600_000 })), {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 3_600_000,
    });
  });
});

describe('connection settings on real connections', () => {
  let server: http.Server;
  let port: number;
  const sockets: net.Socket[] = [];
  const pool = new UpstreamPool(creds);

  before(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 10_000;
    server.on('connection', (s: net.Socket) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    pool.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const get = async (connection?: ConnectionSettings): Promise<void> => {
    const u = { address: '127.0.0.1', port, connection };
    const r = await pool.pool(u).request({ path: '/', method: 'GET' });
    assert.equal(await r.body.text(), 'ok');
    // Let the connection go back to the pool before the next request asks for one.
    await new Promise((r) => setTimeout(r, 20));
  };

  it('opens a new connection after maxRequestsPerConnection requests, and reuses one without', async () => {
    const start = sockets.length;
    for (let i = 0; i < 3; i++) await get();
    assert.equal(sockets.length - start, 1, 'the control: one kept-alive connection');
    const limited = sockets.length;
    for (let i = 0; i < 3; i++) await get(settings({ maxRequestsPerConnection: 1 }));
    assert.equal(sockets.length - limited, 3, 'one connection per request');
    const two = sockets.length;
    for (let i = 0; i < 4; i++) await get(settings({ maxRequestsPerConnection: 2 }));
    assert.equal(sockets.length - two, 2, 'two requests per connection');
  });

  it('closes a connection idle past idleTimeout; the default keeps it', async () => {
    const idle = async (connection?: ConnectionSettings): Promise<net.Socket> => {
      const start = sockets.length;
      await get(connection);
      assert.equal(sockets.length, start + 1);
      const s = sockets[start]!;
      await new Promise((r) => setTimeout(r, 600));
      return s;
    };
    const kept = await idle(settings({ idleTimeoutMs: 3_600_000, connectTimeoutMs: 9_999 }));
    assert.equal(kept.destroyed, false, 'the control: a 1 h idle timeout keeps it open');
    const closed = await idle(settings({ idleTimeoutMs: 200 }));
    assert.equal(closed.destroyed, true, 'closed after 200 ms idle');
  });

  it(
    'gives up an HTTP/2 session whose peer never finishes connecting, after connectTimeout',
    { timeout: 5_000 },
    async () => {
      const silent = net.createServer(() => undefined); // accepts, never speaks TLS
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const u = {
        address: '127.0.0.1',
        port: (silent.address() as AddressInfo).port,
        identities: new Set(['spiffe://cluster.local/ns/shop/sa/cart']),
        connection: settings({ connectTimeoutMs: 200 }),
      };
      try {
        const started = Date.now();
        const session = pool.http2(u);
        const err = await new Promise<Error & { code?: string }>((r) => session.once('error', r));
        const took = Date.now() - started;
        assert.equal(err.code, ErrorCode.UpstreamConnectFailed);
        assert.ok(took >= 190 && took < 2_000, `gave up after ${took} ms`);
        assert.notEqual(pool.http2(u), session, 'the next request gets a new session');
      } finally {
        pool.close();
        silent.close();
      }
    },
  );
  it('retires an HTTP/2 session after maxRequestsPerConnection requests, and keeps one without', async () => {
    const h2 = http2.createServer((_req, res) => res.end('ok'));
    let sessions = 0;
    h2.on('session', () => sessions++);
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const h2port = (h2.address() as AddressInfo).port;
    const h2pool = new UpstreamPool(creds);
    const call = async (connection?: ConnectionSettings): Promise<void> => {
      const stream = h2pool.http2({ address: '127.0.0.1', port: h2port, connection }).request({
        ':path': '/',
      });
      stream.end();
      let body = '';
      stream.on('data', (c: Buffer) => (body += c.toString()));
      await new Promise((r) => stream.once('close', r));
      assert.equal(body, 'ok');
    };
    try {
      for (let i = 0; i < 3; i++) await call();
      assert.equal(sessions, 1, 'the control: one session for every request');
      const before = sessions;
      for (let i = 0; i < 4; i++) await call(settings({ maxRequestsPerConnection: 2 }));
      assert.equal(sessions - before, 2, 'two requests per session');
    } finally {
      h2pool.close();
      await new Promise((r) => h2.close(r));
    }
  });
});
