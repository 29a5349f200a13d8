// The sidecar's discovery client against control planes that misbehave, on
// loopback with real mTLS: one that sends a line longer than the cap, and one that
// completes the handshake and then never says anything (no SETTINGS, no PING answer).
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { testLeaf } from '../test/support/test-leaf.js';
import { createEphemeralCa } from '../src/pki/index.js';
import type { EphemeralCa } from '../src/pki/index.js';
import { Credentials } from './credentials.js';
import { SCOPING, SCOPING_HEADER } from '../src/mesh/wire.js';
import { DiscoveryClient, MAX_MESSAGE_BYTES } from './discovery-client.js';

const SERVER_ID = 'spiffe://cluster.local/ns/weft-system/sa/weft-control-plane';
const SIDECAR_ID = 'spiffe://cluster.local/ns/shop/sa/web';

async function metric(registry: Registry, name: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const until = async (what: string, fn: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describe('discovery client', () => {
  let ca: EphemeralCa;
  let serverTls: { cert: string; key: string };
  let creds: Credentials;
  const clients: DiscoveryClient[] = [];
  const servers: { close(): void }[] = [];

  before(async () => {
    ca = await createEphemeralCa('discovery-client-test', 3600_000);
    serverTls = await testLeaf(ca, SERVER_ID);
    const mine = await testLeaf(ca, SIDECAR_ID);
    creds = new Credentials();
    creds.setCertificate({
      spiffeId: SIDECAR_ID,
      serial: '01',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 3600_000),
      certChainPem: mine.cert,
      keyPem: mine.key,
      trustBundlePem: ca.certPem,
    });
  });
  after(() => {
    for (const c of clients) c.stop();
    for (const s of servers) s.close();
  });

  /** A control plane's end: HTTP/2 over mTLS with the test CA, closed after the suite. */
  const h2Server = (): http2.Http2SecureServer => {
    const server = http2.createSecureServer({
      ...serverTls,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    servers.push(server);
    return server;
  };

  const client = (port: number, registry: Registry, lines: string[]): DiscoveryClient => {
    const c = new DiscoveryClient({
      addresses: [`127.0.0.1:${port}`],
      serverIdentity: SERVER_ID,
      clusterDomain: 'cluster.local',
      creds,
      registry,
      log: createLogger({}, 'warn', (l) => lines.push(l)),
      apply: () => undefined,
      pingIntervalMs: 100,
      pingDeadlineMs: 200,
    });
    clients.push(c);
    c.start();
    return c;
  };

  it(`disconnects, naming why, on a line over ${MAX_MESSAGE_BYTES} bytes`, async () => {
    const server = h2Server();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200 });
      stream.on('error', () => undefined);
      // One line that never ends: 5 MiB of a JSON string, no newline.
      const chunk = Buffer.alloc(256 * 1024, 'a');
      stream.write('{"type":"snapshot","nonce":"n","version":"v","resources":["');
      for (let i = 0; i < 20; i++) stream.write(chunk);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const registry = new Registry();
    const lines: string[] = [];
    const c = client((server.address() as AddressInfo).port, registry, lines);
    await until(
      'the oversized line to be refused',
      async () => (await metric(registry, 'weft_sidecar_discovery_oversized_total')) >= 1,
    );
    assert.ok(lines.some((l) => l.includes('discovery message too long')));
    assert.equal(c.ready(), false, 'nothing was applied');
    c.stop();
  });

  it('gives up on a control plane that never answers, and reconnects', async () => {
    // TLS with h2 completes; then silence: no SETTINGS, no response, no PING answer.
    const silent = tls.createServer({
      ...serverTls,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    });
    servers.push(silent);
    let connections = 0;
    silent.on('secureConnection', (socket) => {
      connections++;
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const registry = new Registry();
    const lines: string[] = [];
    client((silent.address() as AddressInfo).port, registry, lines);
    await until(
      'the PING deadline to close the connection',
      async () => (await metric(registry, 'weft_sidecar_discovery_ping_timeouts_total')) >= 1,
    );
    await until('a reconnect', () => Promise.resolve(connections >= 2));
    assert.ok(lines.some((l) => l.includes('did not answer a PING')));
  });

  /** A control plane that answers 200 (with `headers`) and records the sidecar's first line. */
  async function helloTo(headers: Record<string, string>): Promise<{
    hello: Record<string, unknown>;
    c: DiscoveryClient;
  }> {
    const server = h2Server();
    const first = new Promise<string>((resolve) =>
      server.on('stream', (stream) => {
        stream.respond({ ':status': 200, ...headers });
        stream.on('error', () => undefined);
        let text = '';
        stream.on('data', (b: Buffer) => {
          text += b.toString();
          if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
        });
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = client((server.address() as AddressInfo).port, new Registry(), []);
    return { hello: JSON.parse(await first) as Record<string, unknown>, c };
  }

  it('subscribes only when the control plane says it serves scoped hellos', async () => {
    const scoped = await helloTo({ [SCOPING_HEADER]: SCOPING });
    assert.deepEqual(scoped.hello, { type: 'hello', known: {}, subscribe: [] });
    assert.equal(scoped.c.live, true);
    scoped.c.stop();
    // An older control plane: its strict schema would refuse `subscribe` and close the
    // stream on every hello (a reconnect loop). The sidecar runs unscoped instead.
    const old = await helloTo({});
    assert.deepEqual(old.hello, { type: 'hello', known: {} });
    assert.equal(old.c.live, false);
    assert.equal(old.c.endpoints('shop', 'cart'), undefined, 'nothing to wait for');
    old.c.stop();
  });
});
