// The stream server's bookkeeping without sockets: streams stand in for HTTP/2
// streams, the cache is plain maps, and each simulated sidecar applies what it is
// sent with the real view code. What is checked is what the server decides to send,
// to whom, and when it closes a stream.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import { describe, it } from 'node:test';
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import type { PeerAuthentication } from '../src/mesh/peer-authentication.js';
import { parsePeerAuthentication } from '../src/mesh/peer-authentication.js';
import { ChunkAssembler } from '../src/mesh/chunks.js';
import { applyMessage } from '../src/mesh/view-apply.js';
import type { View } from '../src/mesh/view.js';
import { viewVersion } from '../src/mesh/view.js';
import type { ServerMessage } from '../src/mesh/wire.js';
import { DISCOVERY_PATH, MAX_SUBSCRIPTIONS, SCOPING, SCOPING_HEADER } from '../src/mesh/wire.js';
import { metricValue } from '../test/support/metrics.js';
import { DiscoveryConfigSchema } from './config.js';
import { createDiscoveryMetrics } from './metrics.js';
import type { DiscoveryMetrics } from './metrics.js';
import type { PolicyObject } from '../src/authz/index.js';
import type { StreamCache } from './stream-server.js';
import { DiscoveryStreams } from './stream-server.js';

const NS = 'shop';
const WEB_IP = '198.51.100.10';
const WEB_ID = `spiffe://cluster.local/ns/${NS}/sa/web`;

function pod(name: string, uid: string, ip: string, sa = 'web'): V1Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      uid,
      labels: { app: sa },
      annotations: { 'weft.dev/status': '{}' },
    },
    spec: { serviceAccountName: sa, containers: [] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

class Cache implements StreamCache {
  readonly services = new Map<string, V1Service>();
  readonly slices = new Map<string, V1EndpointSlice>();
  readonly pods = new Map<string, V1Pod>();
  readonly peerAuthentications = new Map<string, PeerAuthentication>();
  readonly authorizationPolicies = new Map<string, PolicyObject>();
  /** Kinds whose first list has not succeeded (the real cache's informers). */
  notListed: string[] = [];
  readonly podsByIp = new Map<string, Set<string>>();
  readonly trustDomain = 'cluster.local';
  readonly rootNamespace = 'weft-system';

  unlisted(): string[] {
    return this.notListed;
  }

  setPod(p: V1Pod): void {
    const key = `${NS}/${p.metadata!.name!}`;
    for (const keys of this.podsByIp.values()) keys.delete(key);
    this.pods.set(key, p);
    const ip = p.status!.podIP!;
    this.podsByIp.set(ip, new Set([...(this.podsByIp.get(ip) ?? []), key]));
  }
}

/** A server-side HTTP/2 stream as the server uses it, from `address` with `identity`. */
class FakeStream extends EventEmitter {
  readonly written: string[] = [];
  headersSent = false;
  status = 0;
  closed = false;
  readonly session;

  constructor(address: string, identity: string) {
    super();
    this.session = {
      socket: {
        remoteAddress: address,
        getPeerCertificate: () => ({ subjectaltname: `URI:${identity}` }),
      },
      close: (): void => undefined,
    };
  }

  headers: Record<string, unknown> | undefined;
  respond(headers: Record<string, unknown>): void {
    this.headers = headers;
    this.headersSent = true;
    this.status = Number(headers[':status']);
  }
  /** Chunks as written: a message may take several (frame() writes head, shared part, tail). */
  write(chunk: string | Buffer): boolean {
    this.written.push(chunk.toString());
    return true;
  }
  end(text?: string): void {
    if (text) this.written.push(text);
    this.close();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.emit('close'));
  }
  send(message: unknown): void {
    this.emit('data', Buffer.from(JSON.stringify(message) + '\n'));
  }
  messages(): ServerMessage[] {
    const lines = this.written
      .join('')
      .split('\n')
      .filter((l) => l.length > 0);
    return lines.map((l) => JSON.parse(l) as ServerMessage);
  }
}

/** A sidecar at the other end: applies each message, ACKs, or NACKs what `refuse` names. */
class Sidecar {
  view: View = new Map();
  /** Every message applied or refused, whole (split ones reassembled). */
  readonly received: ServerMessage[] = [];
  private answered = 0;
  private readonly parts = new ChunkAssembler();

  constructor(
    readonly stream: FakeStream,
    private readonly refuse: (name: string) => boolean = () => false,
  ) {}

  /** Answers what arrived since the last call; returns how many messages that was. */
  answer(): number {
    const lines = this.stream.messages().slice(this.answered);
    this.answered += lines.length;
    const fresh = lines.map((l) => this.parts.push(l)).filter((m) => m !== undefined);
    this.received.push(...fresh);
    for (const m of fresh) {
      const refused = m.resources
        .map((r) => (r as { name: string }).name)
        .filter((n) => this.refuse(n));
      if (refused.length) {
        this.stream.send({
          type: 'nack',
          nonce: m.nonce,
          version: viewVersion(this.view),
          error: `refused ${refused.join()}`,
          rejected: refused,
        });
        continue;
      }
      const applied = applyMessage(this.view, m, 'cluster.local');
      assert.ok(applied.ok, applied.ok ? '' : applied.error);
      this.view = applied.view;
      this.stream.send({ type: 'ack', nonce: m.nonce, version: m.version });
    }
    return fresh.length;
  }

  /** Answers until the server has nothing more to say (bounded: a loop fails the test). */
  settle(rounds = 20): number {
    let total = 0;
    for (let i = 0; i < rounds; i++) {
      const n = this.answer();
      if (!n) return total;
      total += n;
    }
    assert.fail(`the server kept sending after ${rounds} rounds (${total} messages)`);
  }
}

interface Harness {
  readonly cache: Cache;
  readonly streams: DiscoveryStreams;
  readonly metrics: DiscoveryMetrics;
  readonly registry: Registry;
  open(address?: string, identity?: string): FakeStream;
}

function harness(): Harness {
  const cache = new Cache();
  cache.setPod(pod('web-1', 'uid-1', WEB_IP));
  cache.services.set(`${NS}/cart`, {
    metadata: { name: 'cart', namespace: NS },
    spec: { clusterIP: '198.51.100.200', ports: [{ name: 'http', port: 80 }] },
  });
  const registry = new Registry();
  const metrics = createDiscoveryMetrics(registry);
  const config = DiscoveryConfigSchema.parse({});
  const streams = new DiscoveryStreams(cache, config, metrics, createLogger({}, 'error'));
  streams.rebuild();
  return {
    cache,
    streams,
    metrics,
    registry,
    open(address = WEB_IP, identity = WEB_ID) {
      const s = new FakeStream(address, identity);
      streams.handle(s as unknown as http2.ServerHttp2Stream, {
        ':path': DISCOVERY_PATH,
        ':method': 'POST',
      });
      return s;
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function metric(registry: Registry, name: string, labels: string): Promise<number> {
  const line = (await registry.metrics())
    .split('\n')
    .find((l) => l.startsWith(name) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('discovery streams', () => {
  it('serves no stream until every kind has listed once (a failed policy list fails closed)', async () => {
    const h = harness();
    h.cache.notListed = ['authorizationpolicies'];
    const early = h.open();
    await tick();
    assert.equal(early.status, 503);
    assert.equal(early.closed, true);
    assert.match(early.written.join(''), /authorizationpolicies/);
    assert.equal(h.streams.status().length, 0, 'no view was sent');
    assert.equal(await metric(h.registry, 'weft_discovery_streams_refused_total', 'not_listed'), 1);
    h.cache.notListed = [];
    const later = h.open();
    later.send({ type: 'hello', known: {} });
    await tick();
    assert.equal(later.closed, false);
    assert.equal(later.messages()[0]?.type, 'snapshot');
  });

  it('keeps one stream per pod: a newer one closes the older', async () => {
    const h = harness();
    const first = h.open();
    first.send({ type: 'hello', known: {} });
    const second = h.open();
    second.send({ type: 'hello', known: {} });
    await tick();
    assert.equal(first.closed, true, 'the older stream is closed');
    assert.equal(second.closed, false);
    assert.equal(h.streams.status().length, 1);
    assert.equal(await metric(h.registry, 'weft_discovery_streams_closed_total', 'replaced'), 1);
    // Many in a row still leave one.
    for (let i = 0; i < 20; i++) h.open().send({ type: 'hello', known: {} });
    await tick();
    assert.equal(h.streams.status().length, 1);
  });

  it('survives a peer resetting a refused stream, and answers nothing on one already gone', () => {
    const h = harness();
    const refused = new FakeStream(WEB_IP, WEB_ID);
    h.streams.handle(refused as unknown as http2.ServerHttp2Stream, {
      ':path': '/elsewhere',
      ':method': 'POST',
    });
    assert.equal(refused.status, 404);
    // RST_STREAM with an error code: Node emits 'error'; unheard, it would end the process.
    assert.doesNotThrow(() => refused.emit('error', new Error('stream reset by the peer')));
    const gone = new FakeStream(WEB_IP, WEB_ID);
    gone.closed = true;
    h.streams.handle(gone as unknown as http2.ServerHttp2Stream, {
      ':path': DISCOVERY_PATH,
      ':method': 'POST',
    });
    assert.equal(gone.headersSent, false);
    assert.equal(h.streams.status().length, 0);
  });

  it('serves no stream between a late list and the rebuild that includes it', async () => {
    const h = harness();
    h.cache.notListed = ['authorizationpolicies'];
    h.streams.rebuild(); // built without the policies
    h.cache.notListed = []; // their list has now succeeded; the rebuild is still debounced
    const early = h.open();
    await tick();
    assert.equal(early.status, 503);
    assert.match(early.written.join(''), /first complete view/);
    // What readiness reads (main.ts): not ready while streams would be refused.
    assert.equal(h.streams.hasCompleteView, false);
    h.streams.rebuild();
    assert.equal(h.streams.hasCompleteView, true);
    const later = h.open();
    later.send({ type: 'hello', known: {} });
    await tick();
    assert.equal(later.messages()[0]?.type, 'snapshot');
  });

  it('still sends a change that arrived while a NACKed message was in flight', async () => {
    const h = harness();
    const stream = h.open();
    stream.send({ type: 'hello', known: {} });
    await tick();
    const [snapshot] = stream.messages();
    assert.ok(snapshot);
    h.cache.services.set(`${NS}/pay`, {
      metadata: { name: 'pay', namespace: NS },
      spec: { clusterIP: '198.51.100.201', ports: [{ name: 'http', port: 80 }] },
    });
    h.streams.rebuild(); // the snapshot is unanswered: this change waits (dirty)
    await tick();
    assert.equal(stream.messages().length, 1);
    stream.send({ type: 'nack', nonce: snapshot.nonce, version: '', error: 'bad', rejected: [] });
    await tick();
    const next = stream.messages()[1];
    assert.ok(next, 'the pending change went out after the NACK');
    assert.ok(next.resources.some((r) => (r as { name: string }).name === `service/${NS}/pay`));
  });

  it('does not re-send an inbound policy the sidecar refused until it changes', async () => {
    const h = harness();
    const stream = h.open();
    const sidecar = new Sidecar(stream, (name) => name === 'inbound');
    stream.send({ type: 'hello', known: {} });
    // The snapshot (NACKed for its inbound), then the rest without it (ACKed), then quiet.
    assert.equal(sidecar.settle(), 2);
    assert.equal(sidecar.view.has('inbound'), false, 'no inbound: the sidecar runs STRICT');
    assert.ok(sidecar.view.has(`service/${NS}/cart`), 'the rest of the view arrived');
    h.streams.rebuild();
    await tick();
    assert.equal(sidecar.settle(), 0, 'an unchanged refused inbound is not pushed again');
    // A new policy is a new version: it is offered again.
    const parsed = parsePeerAuthentication({
      metadata: { name: 'default', namespace: 'weft-system', creationTimestamp: new Date(0) },
      spec: { mtls: { mode: 'STRICT' } },
    });
    assert.ok('policy' in parsed);
    h.cache.peerAuthentications.set('weft-system/default', parsed.policy);
    const before = stream.messages().length;
    h.streams.rebuild();
    await tick();
    assert.equal(sidecar.settle(), 1, 'offered once (and refused once: no loop)');
    const offered = stream.messages().slice(before);
    assert.ok(
      offered.some((m) => m.resources.some((r) => (r as { name: string }).name === 'inbound')),
    );
    assert.equal(stream.closed, false);
  });

  it('keeps the last good inbound policy when a later one is refused', async () => {
    const h = harness();
    const stream = h.open();
    let refuseInbound = false;
    const sidecar = new Sidecar(stream, (name) => refuseInbound && name === 'inbound');
    stream.send({ type: 'hello', known: {} });
    sidecar.settle();
    const good = sidecar.view.get('inbound');
    assert.ok(good);
    refuseInbound = true;
    const parsed = parsePeerAuthentication({
      metadata: { name: 'default', namespace: NS, creationTimestamp: new Date(0) },
      spec: { mtls: { mode: 'STRICT' } },
    });
    assert.ok('policy' in parsed);
    h.cache.peerAuthentications.set(`${NS}/default`, parsed.policy);
    h.streams.rebuild();
    await tick();
    assert.equal(sidecar.settle(), 1, 'one NACK, no loop');
    assert.equal(sidecar.view.get('inbound'), good);
    // The next unrelated change reaches the sidecar without the refused inbound.
    h.cache.services.set(`${NS}/pay`, {
      metadata: { name: 'pay', namespace: NS },
      spec: { clusterIP: '198.51.100.201', ports: [{ name: 'http', port: 80 }] },
    });
    h.streams.rebuild();
    await tick();
    assert.equal(sidecar.settle(), 1);
    assert.ok(sidecar.view.has(`service/${NS}/pay`));
    assert.equal(sidecar.view.get('inbound'), good);
  });

  it('closes a stream whose pod was recreated under the same name (new UID), whatever its address', async () => {
    for (const ip of [WEB_IP, '198.51.100.11']) {
      const h = harness();
      const stream = h.open();
      const sidecar = new Sidecar(stream);
      stream.send({ type: 'hello', known: {} });
      sidecar.settle();
      const sent = stream.messages().length;
      h.cache.setPod(pod('web-1', 'uid-2', ip));
      h.streams.rebuild();
      await tick();
      assert.equal(stream.closed, true, `recreated at ${ip}`);
      assert.equal(stream.messages().length, sent, 'nothing was sent to the old stream');
      assert.equal(await metric(h.registry, 'weft_discovery_streams_closed_total', 'pod_gone'), 1);
    }
  });

  it('closes a stream whose pod kept its UID but moved to another address', async () => {
    const h = harness();
    const stream = h.open();
    stream.send({ type: 'hello', known: {} }); // its snapshot is not answered: still in flight
    h.cache.setPod(pod('web-1', 'uid-1', '198.51.100.12'));
    h.streams.rebuild();
    await tick();
    assert.equal(stream.closed, true);
  });
});

const CART_IPS = ['198.51.100.21', '198.51.100.22'];

/** cart's EndpointSlice, with its pods (meshed, ServiceAccount cart) at `ips`. */
function cartSlice(h: Harness, ips: readonly string[]): void {
  ips.forEach((ip, i) => h.cache.setPod(pod(`cart-${i + 1}`, `uid-c${i}`, ip, 'cart')));
  h.cache.slices.set(`${NS}/cart-abc`, {
    metadata: { name: 'cart-abc', namespace: NS, labels: { 'kubernetes.io/service-name': 'cart' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip, i) => ({
      addresses: [ip],
      targetRef: { kind: 'Pod', namespace: NS, name: `cart-${i + 1}` },
    })),
  });
  h.streams.rebuild();
}

const namesOf = (view: View, prefix: string): string[] =>
  [...view.keys()].filter((n) => n.startsWith(prefix)).sort();

describe('discovery streams, scoped', () => {
  it('gives a scoped sidecar the catalog, and endpoints only for what it subscribes to', async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const stream = h.open();
    const sidecar = new Sidecar(stream);
    stream.send({ type: 'hello', known: {}, subscribe: [] });
    await tick();
    sidecar.settle();
    assert.deepEqual(namesOf(sidecar.view, 'service/'), [`service/${NS}/cart`]);
    assert.deepEqual(namesOf(sidecar.view, 'endpoints/'), [], 'no endpoints unasked');
    assert.ok(sidecar.view.has('inbound'));
    // Subscribed: exactly cart's endpoints, on the stream that carries the ACKs.
    stream.send({ type: 'subscribe', subscribe: [`endpoints/${NS}/cart`] });
    await tick();
    assert.equal(sidecar.settle(), 1);
    const eps = sidecar.view.get(`endpoints/${NS}/cart`);
    assert.ok(eps?.kind === 'endpoints');
    assert.deepEqual(eps.endpoints.map((e) => e.address).sort(), CART_IPS);
    // Changes follow; unsubscribed, they are removed and stop.
    cartSlice(h, CART_IPS.slice(0, 1));
    await tick();
    assert.equal(sidecar.settle(), 1);
    const one = sidecar.view.get(`endpoints/${NS}/cart`);
    assert.equal(one?.kind === 'endpoints' && one.endpoints.length, 1);
    stream.send({ type: 'subscribe', unsubscribe: [`endpoints/${NS}/cart`] });
    await tick();
    assert.equal(sidecar.settle(), 1);
    assert.deepEqual(sidecar.received.at(-1)!.removed, [`endpoints/${NS}/cart`]);
    assert.equal(sidecar.view.has(`endpoints/${NS}/cart`), false);
    cartSlice(h, CART_IPS);
    await tick();
    assert.equal(sidecar.settle(), 0, 'an unsubscribed service changing sends nothing');
  });

  it('answers a subscription to a name it does not have as removed, once, and sends it once it exists', async () => {
    const h = harness();
    const stream = h.open();
    const sidecar = new Sidecar(stream);
    stream.send({ type: 'hello', known: {}, subscribe: [`endpoints/${NS}/pay`] });
    await tick();
    sidecar.settle();
    assert.deepEqual(sidecar.received[0]!.removed, [`endpoints/${NS}/pay`], 'not found');
    h.streams.rebuild();
    await tick();
    assert.equal(sidecar.settle(), 0, 'answered once');
    h.cache.services.set(`${NS}/pay`, {
      metadata: { name: 'pay', namespace: NS },
      spec: { clusterIP: '198.51.100.201', ports: [{ name: 'http', port: 80 }] },
    });
    h.streams.rebuild();
    await tick();
    sidecar.settle();
    assert.ok(sidecar.view.has(`endpoints/${NS}/pay`), 'the subscription stayed');
  });

  it('looks a pod up by address (pod/<ip>) for scoped sidecars only', async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const scoped = h.open();
    const sidecar = new Sidecar(scoped);
    scoped.send({ type: 'hello', known: {}, subscribe: [`pod/${CART_IPS[0]}`] });
    await tick();
    sidecar.settle();
    const found = sidecar.view.get(`pod/${CART_IPS[0]}`);
    assert.ok(found?.kind === 'pod');
    assert.deepEqual(
      [found.pod.identity, found.pod.workload, found.pod.mtls, found.pod.services],
      [`spiffe://cluster.local/ns/${NS}/sa/cart`, 'cart-1', true, [`${NS}/cart`]],
    );
    assert.deepEqual(namesOf(sidecar.view, 'endpoints/'), []);
  });

  it('serves a hello without subscriptions (a sidecar from before scoping) the whole view', async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const stream = h.open();
    const sidecar = new Sidecar(stream);
    stream.send({ type: 'hello', known: {} });
    await tick();
    sidecar.settle();
    assert.deepEqual(namesOf(sidecar.view, 'endpoints/'), [`endpoints/${NS}/cart`]);
    assert.deepEqual(namesOf(sidecar.view, 'pod/'), []);
    assert.ok(
      stream.written.every((l) => !l.includes('"more"')),
      'never split for it',
    );
    // It has nothing to subscribe to: a subscribe message is a protocol error.
    stream.send({ type: 'subscribe', subscribe: [`pod/${CART_IPS[0]}`] });
    await tick();
    assert.equal(stream.closed, true);
  });

  it('resumes a reconnecting scoped sidecar from what it holds and re-subscribes', async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const first = h.open();
    const before = new Sidecar(first);
    first.send({ type: 'hello', known: {}, subscribe: [`endpoints/${NS}/cart`] });
    await tick();
    before.settle();
    const known = Object.fromEntries([...before.view.values()].map((r) => [r.name, r.version]));
    const again = h.open();
    const after = new Sidecar(again);
    after.view = before.view;
    again.send({ type: 'hello', known, subscribe: [`endpoints/${NS}/cart`] });
    await tick();
    after.settle();
    assert.deepEqual(after.received[0]!.resources, []);
    assert.deepEqual(after.received[0]!.removed, []);
    // Holding endpoints it no longer subscribes to: they are removed.
    const third = h.open();
    const dropped = new Sidecar(third);
    dropped.view = before.view;
    third.send({ type: 'hello', known, subscribe: [] });
    await tick();
    dropped.settle();
    assert.deepEqual(dropped.received[0]!.removed, [`endpoints/${NS}/cart`]);
  });

  it('delivers a 20 000-service catalog to a scoped sidecar, split into lines under the cap, as one version', async () => {
    const h = harness();
    for (let i = 0; i < 20_000; i++) {
      h.cache.services.set(`${NS}/svc-${i}`, {
        metadata: { name: `svc-${i}`, namespace: NS },
        spec: {
          clusterIP: `198.18.${i >> 8}.${i & 255}`,
          ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
        },
      });
    }
    h.streams.rebuild();
    const stream = h.open();
    const sidecar = new Sidecar(stream);
    stream.send({ type: 'hello', known: {}, subscribe: [] });
    await tick();
    const started = performance.now();
    assert.equal(sidecar.settle(), 1, 'one message, applied once');
    const ms = performance.now() - started;
    const lines = stream.written
      .join('')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => Buffer.byteLength(l) + 1);
    const total = lines.reduce((a, b) => a + b, 0);
    assert.ok(lines.length > 1, `split: ${lines.length} lines`);
    assert.ok(Math.max(...lines) < 2 * 1024 * 1024, `each line ${Math.max(...lines)} B`);
    assert.ok(total > 4 * 1024 * 1024, `more than one old line cap in all: ${total} B`);
    assert.equal(namesOf(sidecar.view, 'service/').length, 20_001);
    // Printed for the docs: what the catalog weighs and what applying it costs.
    console.log(
      `20 001 services: ${total} B in ${lines.length} lines, applied in ${ms.toFixed(0)} ms`,
    );
  });

  it('answers names past the subscription cap as not found and keeps the stream open', async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const stream = h.open();
    const sidecar = new Sidecar(stream);
    const filler = Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => `endpoints/${NS}/s${i}`);
    stream.send({ type: 'hello', known: {}, subscribe: filler });
    await tick();
    sidecar.settle();
    stream.send({ type: 'subscribe', subscribe: [`endpoints/${NS}/cart`] });
    await tick();
    sidecar.settle();
    assert.equal(stream.closed, false, 'no reconnect loop: the stream stays');
    assert.ok(sidecar.received.at(-1)!.removed.includes(`endpoints/${NS}/cart`), 'not found');
    assert.equal(sidecar.view.has(`endpoints/${NS}/cart`), false);
    assert.equal(await metricValue(h.registry, 'weft_discovery_subscriptions_refused_total'), 1);
    // Room made by an unsubscribe: the same name is served.
    stream.send({
      type: 'subscribe',
      subscribe: [`endpoints/${NS}/cart`],
      unsubscribe: [`endpoints/${NS}/s0`],
    });
    await tick();
    sidecar.settle();
    assert.ok(sidecar.view.has(`endpoints/${NS}/cart`));
  });

  it('says in its response headers that it serves scoped hellos', () => {
    const h = harness();
    const stream = h.open();
    assert.equal(stream.headers?.[SCOPING_HEADER], SCOPING);
  });

  it("gives a scoped sidecar its own Services' endpoints unasked (its destination reporter names them)", async () => {
    const h = harness();
    cartSlice(h, CART_IPS);
    const stream = h.open(CART_IPS[0], `spiffe://cluster.local/ns/${NS}/sa/cart`);
    const sidecar = new Sidecar(stream);
    stream.send({ type: 'hello', known: {}, subscribe: [] });
    await tick();
    sidecar.settle();
    assert.equal(stream.status, 200);
    assert.deepEqual(namesOf(sidecar.view, 'endpoints/'), [`endpoints/${NS}/cart`]);
  });
});
