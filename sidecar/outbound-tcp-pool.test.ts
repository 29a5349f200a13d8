// A TrafficPolicy's connection pool on opaque TCP (issue 14): the outbound listener
// in this process on loopback, the original destination given instead of read from
// iptables, real upstream servers on 127.0.0.1. maxConnections caps the Service's
// open connections (the next is closed, UO), connectTimeout bounds the dial (UF),
// and the count returns to 0 whichever way a connection ends.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import type { Service } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { ExtendedKeyUsage, createEphemeralCa, generateKeyPair, KeyType } from '../src/pki/index.js';
import { privateKeyToPem } from '../src/pki/index.js';
import { inboundProxyConfig, serverCredentials } from '../test/support/inbound-proxy.js';
import { createProxy } from './proxy.js';
import type { Proxy } from './proxy.js';
import { connectWithin, openTcpUpstream } from './tcp-upstream.js';

const NS = 'shop';
const id = (sa: string): string => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;
/** The Services' virtual addresses: the app dials these, the test's originalDst maps them. */
const VIP = {
  db: '198.18.0.10',
  plain: '198.18.0.11',
  tls: '198.18.0.12',
  free: '198.18.0.13',
  reset: '198.18.0.14',
};
const PORT = 5432;

/** Servers the sidecar dials: an echo, one that accepts and never speaks, one that resets. */
interface Upstreams {
  readonly echo: number;
  readonly silent: number;
  readonly reset: number;
  /** A port nothing listens on (connection refused). */
  readonly closed: number;
  close(): void;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function startUpstreams(): Promise<Upstreams> {
  const held = new Set<net.Socket>();
  const keep = (s: net.Socket): void => {
    held.add(s);
    s.on('error', () => undefined).on('close', () => held.delete(s));
  };
  const echo = net.createServer((s) => (keep(s), s.pipe(s)));
  const silent = net.createServer(keep);
  const reset = net.createServer((s) => (keep(s), s.once('data', () => s.resetAndDestroy())));
  const gone = net.createServer();
  const ports = await Promise.all([echo, silent, reset, gone].map(listen));
  await new Promise<void>((r) => gone.close(() => r()));
  return {
    echo: ports[0]!,
    silent: ports[1]!,
    reset: ports[2]!,
    closed: ports[3]!,
    close() {
      for (const s of held) s.destroy();
      for (const s of [echo, silent, reset]) s.close();
    },
  };
}

const service = (name: string, targetPort: number, mtls = false): Record<string, unknown> => ({
  name,
  namespace: NS,
  addresses: [VIP[name as keyof typeof VIP]],
  ports: [{ port: PORT, targetPort, name: 'tcp-db' }],
  endpoints: [{ address: '127.0.0.1', identity: id(name), mtls }],
});

const policy = (
  name: string,
  connectionPool: Record<string, unknown>,
): Record<string, unknown> => ({
  namespace: NS,
  name,
  creationTimestamp: '2026-01-01T00:00:00Z',
  generation: 1,
  spec: { targetRefs: [{ group: '', kind: 'Service', name }], connectionPool },
});

interface Harness {
  readonly port: number;
  readonly mesh: MeshIndex;
  readonly proxy: Proxy;
  readonly registry: Registry;
  readonly lines: string[];
  readonly up: Upstreams;
  /** Which Service the next connections were "originally" addressed to (iptables' job in a pod). */
  readonly target: { to: keyof typeof VIP };
  close(): void;
}

async function harness(creds: ReturnType<typeof serverCredentials>): Promise<Harness> {
  const up = await startUpstreams();
  const mesh = compileMesh(
    MeshConfigSchema.parse({
      services: [
        service('db', up.echo),
        service('plain', up.closed),
        service('tls', up.silent, true),
        service('free', up.echo),
        service('reset', up.reset),
      ],
      trafficPolicies: [
        policy('db', { maxConnections: 2, connectTimeout: '5s' }),
        policy('plain', { maxConnections: 2, connectTimeout: '5s' }),
        policy('tls', { maxConnections: 2, connectTimeout: '200ms' }),
        policy('reset', { maxConnections: 1 }),
      ],
    }),
    NS,
  );
  const lines: string[] = [];
  const registry = new Registry();
  const log = createLogger({}, 'error', () => undefined);
  const target: { to: keyof typeof VIP } = { to: 'db' };
  const proxy = createProxy({
    config: inboundProxyConfig(NS),
    workload: 'web',
    registry,
    log,
    creds,
    mesh: () => mesh,
    accessLog: createLogger({}, 'info', (l) => lines.push(l)),
    originalDst: () => ({ address: VIP[target.to], port: PORT }),
  });
  await new Promise<void>((r) => proxy.outbound.listen(0, '127.0.0.1', r));
  const accepted = new Set<net.Socket>();
  proxy.outbound.on('connection', (s: net.Socket) => accepted.add(s));
  return {
    port: (proxy.outbound.address() as AddressInfo).port,
    mesh,
    proxy,
    registry,
    lines,
    up,
    target,
    close() {
      for (const s of accepted) s.destroy();
      proxy.outbound.close();
      proxy.traffic.stop();
      up.close();
    },
  };
}

/** The Service's open-connection count in the sidecar's pool state. */
function open(h: Harness, name: string): number {
  const svc = h.mesh.config.services.find((s) => s.name === name) as Service;
  return h.proxy.traffic.for(h.mesh, svc).gate.counts().connections;
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`still not ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Client {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  /** Writes and resolves with what comes back, or undefined if the connection closes first. */
  echo(text: string): Promise<string | undefined>;
}

async function connect(h: Harness): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port: h.port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.once('connect', r));
  return {
    socket,
    closed,
    echo: (text) =>
      new Promise((resolve) => {
        socket.once('data', (c: Buffer) => resolve(c.toString()));
        void closed.then(() => resolve(undefined));
        socket.write(text);
      }),
  };
}

/** istio_tcp_connections_opened_total for the Service with these response flags. */
async function opened(h: Harness, name: string, flags: string): Promise<number> {
  const m = await h.registry.getSingleMetric('istio_tcp_connections_opened_total')!.get();
  return m.values
    .filter((v) => v.labels.destination_service_name === name && v.labels.response_flags === flags)
    .reduce((n, v) => n + v.value, 0);
}

async function refusedOverflow(h: Harness): Promise<number> {
  const m = await h.registry.getSingleMetric('weft_sidecar_refused_total')!.get();
  const v = m.values.find((x) => x.labels.reason === 'upstream_overflow');
  return v?.value ?? 0;
}

/** The access-log lines of opaque TCP connections to `service`. */
const tcpLines = (h: Harness, name: string): Record<string, unknown>[] =>
  h.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'tcp' && l.service === `${NS}/${name}`);

describe('outbound opaque TCP under a TrafficPolicy connection pool', () => {
  let creds: ReturnType<typeof serverCredentials>;
  let h: Harness;
  before(async () => {
    const ca = await createEphemeralCa('weft-test-mesh', 3_600_000);
    const keys = await generateKeyPair(KeyType.EcdsaP256);
    const cert = await ca.sign(keys.publicKey, '', { uris: [id('web')] }, [
      ExtendedKeyUsage.ClientAuth,
    ]);
    const leaf = { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
    creds = serverCredentials(id('web'), leaf, ca.certPem);
  });
  afterEach(() => h.close());

  it('refuses the connection past maxConnections with UO, and admits one again after a close', async () => {
    h = await harness(creds);
    const a = await connect(h);
    const b = await connect(h);
    assert.equal(await a.echo('a'), 'a');
    assert.equal(await b.echo('b'), 'b');
    assert.equal(open(h, 'db'), 2);

    const c = await connect(h);
    assert.equal(await c.echo('c'), undefined, 'the third connection is closed, not carried');
    assert.equal(await opened(h, 'db', 'UO'), 1);
    assert.equal(await refusedOverflow(h), 1);
    assert.equal(open(h, 'db'), 2, 'a refusal takes no slot');
    const refusedLine = tcpLines(h, 'db').find((l) => l.flags === 'UO');
    assert.equal(refusedLine?.bytesSent, 0);

    a.socket.end();
    await until('released', () => open(h, 'db') === 1);
    const d = await connect(h);
    assert.equal(await d.echo('d'), 'd');
    assert.equal(open(h, 'db'), 2);

    for (const s of [b, d]) s.socket.destroy();
    await until('back to 0', () => open(h, 'db') === 0);
    assert.equal(await opened(h, 'db', '-'), 3);
  });

  it('gives up a dial after connectTimeout (mTLS handshake unanswered) with UF', async () => {
    h = await harness(creds);
    h.target.to = 'tls';
    const started = Date.now();
    const c = await connect(h);
    await until('admitted', () => open(h, 'tls') === 1);
    await c.closed;
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 2000, `closed after ${took} ms, policy says 200 ms`);
    assert.equal(await opened(h, 'tls', 'UF'), 1);
    assert.equal(open(h, 'tls'), 0);
    assert.equal(tcpLines(h, 'tls')[0]?.flags, 'UF');
  });

  it('releases the slot on every way a connection ends', async () => {
    h = await harness(creds);
    // The upstream refuses the connection: UF at once.
    h.target.to = 'plain';
    const refused = await connect(h);
    await refused.closed;
    assert.equal(await opened(h, 'plain', 'UF'), 1);
    assert.equal(open(h, 'plain'), 0);

    // The app leaves while the dial still waits for the handshake.
    h.target.to = 'tls';
    const quitter = await connect(h);
    await until('admitted', () => open(h, 'tls') === 1);
    quitter.socket.destroy();
    await until('released after the app left', () => open(h, 'tls') === 0);
    assert.equal(await opened(h, 'tls', 'UF'), 0, 'the app left: no upstream failure');

    // The app resets mid-stream.
    h.target.to = 'db';
    const a = await connect(h);
    assert.equal(await a.echo('x'), 'x');
    a.socket.resetAndDestroy();
    await until('released after the app reset', () => open(h, 'db') === 0);

    // The upstream resets mid-stream (its server resets on the first bytes); with
    // maxConnections 1 the next connection is admitted only if the slot came back.
    h.target.to = 'reset';
    const b = await connect(h);
    assert.equal(await b.echo('x'), undefined, 'the reset reaches the app as a close');
    await until('released after the upstream reset', () => open(h, 'reset') === 0);
    const c = await connect(h);
    await until('admitted again', () => open(h, 'reset') === 1);
    c.socket.destroy();
    await until('released', () => open(h, 'reset') === 0);
    assert.equal(await opened(h, 'reset', 'UO'), 0);
  });

  it('keeps weft’s defaults without a policy: no cap', async () => {
    h = await harness(creds);
    h.target.to = 'free';
    const svc = h.mesh.config.services.find((s) => s.name === 'free') as Service;
    const pool = h.proxy.traffic.for(h.mesh, svc).settings.connectionPool;
    assert.equal(pool.maxConnections, 2 ** 32 - 1);
    assert.equal(pool.connectTimeoutMs, 10_000);
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connect(h)));
    assert.deepEqual(await Promise.all(clients.map((c, i) => c.echo(`${i}`))), [
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    assert.equal(await opened(h, 'free', 'UO'), 0);
    for (const c of clients) c.socket.destroy();
    await until('back to 0', () => open(h, 'free') === 0);
  });
});

describe('openTcpUpstream (the dial alone)', () => {
  let silent: net.Server;
  let port: number;
  const held = new Set<net.Socket>();
  before(async () => {
    silent = net.createServer((s) => {
      held.add(s);
      s.on('error', () => undefined);
    });
    port = await listen(silent);
  });
  after(() => {
    for (const s of held) s.destroy();
    silent.close();
  });

  // A TLS client's handshake to a server that accepts and never answers: the dial
  // hangs deterministically on loopback (no blackholed address needed).
  const hanging = (): net.Socket => tls.connect({ host: '127.0.0.1', port });

  it('waits weft’s 10 s without a policy, then fails UF', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let done: Awaited<ReturnType<typeof openTcpUpstream>> | undefined;
      const dial = openTcpUpstream(undefined, hanging).then((r) => (done = r));
      await new Promise((r) => setImmediate(r));
      mock.timers.tick(9_999);
      await new Promise((r) => setImmediate(r));
      assert.equal(done, undefined);
      mock.timers.tick(1);
      await dial;
      assert.deepEqual(done, { ok: false, flag: 'UF', reason: 'no connection within 10000 ms' });
    } finally {
      mock.timers.reset();
    }
  });

  it('fails UF when the dial throws (no workload certificate yet), without a socket', async () => {
    const r = await connectWithin(() => {
      throw new Error('no workload certificate yet');
    }, 1000);
    assert.deepEqual(r, { ok: false, flag: 'UF', reason: 'no workload certificate yet' });
  });

  it('stops at once when the client has already gone', async () => {
    const gone = AbortSignal.abort();
    let dialled = false;
    const r = await connectWithin(
      () => {
        dialled = true;
        return hanging();
      },
      1000,
      gone,
    );
    assert.equal(r.ok ? 'ok' : r.flag, '-');
    assert.equal(dialled, false);
  });
});
