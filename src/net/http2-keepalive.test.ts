// Keepalive against a silent peer (a socket that never answers, as a frozen process
// or a half-open connection looks) and a healthy one, on loopback.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { keepAlive } from './http2-keepalive.js';

describe('HTTP/2 keepalive', () => {
  const server = http2.createServer();
  let timeouts = 0;
  let port = 0;
  before(async () => {
    server.on('session', (s) =>
      keepAlive(s, { intervalMs: 50, deadlineMs: 150, onTimeout: () => timeouts++ }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('closes and counts a peer that never answers a PING', async () => {
    timeouts = 0;
    const silent = net.connect(port, '127.0.0.1'); // connects, then says nothing, ever
    silent.on('data', () => undefined);
    const closed = await new Promise<number>((resolve) => {
      const started = Date.now();
      silent.on('close', () => resolve(Date.now() - started));
      setTimeout(() => resolve(-1), 3000).unref();
    });
    assert.ok(closed > 0, 'the silent peer was closed');
    assert.ok(closed < 1500, `closed after ${closed} ms`);
    assert.equal(timeouts, 1);
  });

  it('keeps a peer that answers', async () => {
    timeouts = 0;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 600)); // a dozen PINGs, each answered
    assert.equal(client.destroyed || client.closed, false);
    assert.equal(timeouts, 0);
    client.close();
  });
});
