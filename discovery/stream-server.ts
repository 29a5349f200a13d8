// The discovery stream: HTTP/2 over mTLS, one long-lived POST stream per
// sidecar, NDJSON each way. The client certificate is verified against the
// mesh's roots by TLS; the stream is then bound to the pod at the source address
// whose identity the certificate carries (peer-check.ts), or refused with 403.
//
// Per sidecar at most one message is in flight: a change that arrives before the
// ACK is folded into the next message (xDS's flow control), so a slow sidecar
// costs one pending message, never a queue.
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import { ErrorCode } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';
import {
  buildInboundResource,
  buildServiceResources,
  inboundPortsByIp,
} from '../src/mesh/build-view.js';
import type { AuthzCatalog } from '../src/mesh/build-authz.js';
import { authzResourcesFor, buildAuthzCatalog } from '../src/mesh/build-authz.js';
import type { ServicePort } from '../src/mesh/config.js';
import { addRouteResources } from '../src/mesh/build-routes.js';
import { addTrafficResources } from '../src/mesh/build-traffic.js';
import type { TrafficPolicyObject } from '../src/traffic/index.js';
import type { RouteObject } from '../src/routes/index.js';
import { spiffeIdOf } from '../src/pki/peer-spiffe-id.js';
import { LineReader } from '../src/mesh/ndjson.js';
import { buildPodResources } from '../src/mesh/build-pods.js';
import type { Resource, View } from '../src/mesh/view.js';
import {
  ClientMessage,
  DISCOVERY_PATH,
  MAX_SUBSCRIPTIONS,
  NDJSON,
  SCOPING,
  SCOPING_HEADER,
} from '../src/mesh/wire.js';
import { Scope, chunkLines, groupResources } from './scope.js';
import type { ClusterObjects } from '../src/mesh/build-view.js';
import type { PolicyObject } from '../src/authz/index.js';
import type { SyncStream } from '../src/debug/syncz.js';
import type { DiscoveryConfig } from './config.js';
import type { Delta, Held, PushDelta, SnapshotHeld } from './held-view.js';
import { DeltaCache, deltaTo, heldInbound, versionOf } from './held-view.js';
import type { DiscoveryMetrics } from './metrics.js';
import type { PodLookup } from './peer-check.js';
import type { ReferenceGrant } from './route-world.js';
import { refusedBackends } from './route-world.js';
import { checkPeer, isLive, plainAddress, podIdentity, podIps } from './peer-check.js';

/** What the streams read: the informers' objects, the pods by address, the policies. */
export type StreamCache = ClusterObjects &
  PodLookup & {
    readonly authorizationPolicies: ReadonlyMap<string, PolicyObject>;
    /** HTTPRoutes/GRPCRoutes (absent or empty without the Gateway API). */
    readonly routes?: ReadonlyMap<string, { readonly route: RouteObject }>;
    /** TrafficPolicies (absent in caches that predate them: none). */
    readonly trafficPolicies?: ReadonlyMap<string, { readonly policy: TrafficPolicyObject }>;
    /** ReferenceGrants by `ns/name`: which cross-namespace backendRefs the sidecars may use. */
    readonly referenceGrants?: ReadonlyMap<string, ReferenceGrant>;
    /** Kinds not yet listed once: no view is served until this is empty. */
    unlisted(): string[];
  };

const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024 * 1024;

/** What the debug endpoint reports per stream (src/debug/syncz.ts). */
export type ConnectionStatus = SyncStream;

/** The NACK reason as reported: the peer's text, bounded. */
const MAX_REPORTED_ERROR = 1024;

interface Connection {
  readonly id: number;
  readonly podKey: string;
  /** The pod instance this stream is bound to: a recreated pod of the same name is another. */
  readonly podUid: string;
  /** The source address the stream came from, one of that pod's IPs. */
  readonly address: string;
  readonly identity: string;
  readonly stream: http2.ServerHttp2Stream;
  readonly connectedAt: Date;
  held: Held | undefined;
  /** What a scoped sidecar subscribed to; undefined: wildcard (a hello without `subscribe`). */
  scope: Scope | undefined;
  excluded: Map<string, string>;
  inFlight: { nonce: string; target: SnapshotHeld; delta: Delta } | undefined;
  dirty: boolean;
  sent?: { version: string; nonce: string; at: Date };
  acked?: { version: string; at: Date };
  nacked?: { version: string; error: string; at: Date };
}

const encoded = new WeakMap<Resource, string>();
const json = (r: Resource): string => {
  let s = encoded.get(r);
  if (s === undefined) {
    s = JSON.stringify(r);
    encoded.set(r, s);
  }
  return s;
};

/** The encoded shared part of a delta, made once per DeltaCache entry (see PushDelta). */
const sharedBytes = new WeakMap<Delta, Buffer>();
function encodedShared(d: Delta): Buffer {
  let b = sharedBytes.get(d);
  if (b === undefined) {
    b = Buffer.from(d.resources.map(json).join(','));
    sharedBytes.set(d, b);
  }
  return b;
}

/** The shared part cut into groups of about CHUNK_BYTES, once per DeltaCache entry. */
const sharedGroups = new WeakMap<Delta, Buffer[]>();
function groupedShared(d: Delta): Buffer[] {
  let g = sharedGroups.get(d);
  if (g === undefined) {
    g = groupResources(d.resources.map(json)).map((x) => Buffer.from(x.join(',')));
    sharedGroups.set(d, g);
  }
  return g;
}

interface Head {
  readonly type: string;
  readonly nonce: string;
  readonly version: string;
}

/**
 * One NDJSON line as three chunks: a head, the shared part (the same Buffer for every
 * sidecar making the same move: a thousand fresh sidecars reference one encoded
 * catalog instead of holding a megabyte string each until their socket drains) and
 * the sidecar's own resources with the removed names.
 */
function frame(m: Head, d: PushDelta): Buffer[] {
  const head = `{"type":"${m.type}","nonce":"${m.nonce}","version":"${m.version}","resources":[`;
  const shared = encodedShared(d.shared);
  const ownResources = d.resources.slice(d.shared.resources.length);
  const own = ownResources.map(json).join(',');
  const sep = shared.length > 0 && own.length > 0 ? ',' : '';
  const tail = `${sep}${own}],"removed":${JSON.stringify(d.removed)}}\n`;
  return [Buffer.from(head), shared, Buffer.from(tail)];
}

/**
 * A scoped sidecar's message as lines of about CHUNK_BYTES (it declared it understands
 * `more`): the shared groups first (shared Buffers, as in frame), then its own part.
 */
function chunkedFrame(m: Head, d: PushDelta): Buffer[] {
  const head = `{"type":"${m.type}","nonce":"${m.nonce}","version":"${m.version}","resources":[`;
  const out: Buffer[] = [];
  const more = Buffer.from('],"removed":[],"more":true}\n');
  for (const g of groupedShared(d.shared)) out.push(Buffer.from(head), g, more);
  const own = d.resources.slice(d.shared.resources.length).map(json);
  for (const line of chunkLines(head, own, d.removed)) out.push(Buffer.from(line));
  return out;
}

export class DiscoveryStreams {
  private shared: View = new Map();
  /** pod/<ip> → the pod at that address, for scoped sidecars' lookups. */
  private pods: View = new Map();
  private portsByIp = new Map<string, Map<number, ServicePort>>();
  private deltas = new DeltaCache(this.shared);
  private authz: AuthzCatalog = buildAuthzCatalog([]);
  private readonly connections = new Map<number, Connection>();
  /** The one stream per pod (UID and source address): a newer one replaces the older. */
  private readonly byPod = new Map<string, Connection>();
  /** Whether the last rebuild saw every kind listed: until then no stream is served. */
  private complete = false;
  private nextId = 0;
  private readonly nonceBase = randomBytes(4).toString('hex');
  private nonces = 0;
  private readonly limited: LimitedLogger;
  private pushing = false;
  private again = false;

  constructor(
    private readonly cache: StreamCache,
    private readonly config: DiscoveryConfig,
    private readonly metrics: DiscoveryMetrics,
    private readonly log: Logger,
  ) {
    this.limited = limitLogger(log);
  }

  /** Whether the last rebuild saw every kind listed (until then streams are refused). */
  get hasCompleteView(): boolean {
    return this.complete;
  }

  /** Rebuilds the shared view from the cache and pushes to every sidecar (after the debounce). */
  rebuild(): void {
    // Read before building: a kind listed during the build is in the next rebuild.
    const unlisted = this.cache.unlisted();
    const end = this.metrics.buildSeconds.startTimer();
    const shared = buildServiceResources(this.cache);
    const grants = this.cache.referenceGrants ?? new Map<string, ReferenceGrant>();
    addRouteResources(
      shared,
      [...(this.cache.routes?.values() ?? [])].map((s) => s.route),
      (r) => refusedBackends(r, grants, this.config.requireReferenceGrant),
    );
    addTrafficResources(
      shared,
      [...(this.cache.trafficPolicies?.values() ?? [])].map((s) => s.policy),
    );
    this.shared = shared;
    this.pods = buildPodResources(shared);
    this.portsByIp = inboundPortsByIp(this.shared);
    this.deltas = new DeltaCache(this.shared);
    this.authz = buildAuthzCatalog(this.cache.authorizationPolicies.values());
    this.complete = unlisted.length === 0;
    end();
    this.metrics.resources.set(this.shared.size);
    this.pushAll();
  }

  status(): ConnectionStatus[] {
    return [...this.connections.values()].map((c) => ({
      pod: c.podKey,
      uid: c.podUid,
      address: c.address,
      identity: c.identity,
      connectedAt: c.connectedAt.toISOString(),
      ...(c.sent ? { sent: { ...c.sent, at: c.sent.at.toISOString() } } : {}),
      pending: c.inFlight !== undefined,
      ...(c.acked ? { acked: { version: c.acked.version, at: c.acked.at.toISOString() } } : {}),
      ...(c.nacked
        ? {
            nacked: {
              version: c.nacked.version,
              error: c.nacked.error.slice(0, MAX_REPORTED_ERROR),
              at: c.nacked.at.toISOString(),
            },
          }
        : {}),
    }));
  }

  closeAll(): void {
    for (const c of this.connections.values()) c.stream.close();
  }

  /**
   * Pushes in batches, yielding between them; a rebuild during a push runs once more
   * after. The flag is cleared by the loop itself, in the same turn it ends: a rebuild
   * that lands between the loop's end and a promise's settling is never lost.
   */
  private pushAll(): void {
    this.again = true;
    if (this.pushing) return;
    this.pushing = true;
    void (async () => {
      try {
        while (this.again) {
          this.again = false;
          await this.pushRound();
        }
      } catch (err) {
        this.log.error('discovery push failed', { err });
      } finally {
        this.pushing = false;
      }
    })();
  }

  private async pushRound(): Promise<void> {
    let n = 0;
    for (const c of [...this.connections.values()]) {
      if (c.held) this.push(c, 'delta');
      if (++n % this.config.pushBatch === 0) await new Promise((r) => setImmediate(r));
    }
  }

  handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    // Before anything else: a peer may reset the stream at any moment (an 'error' with
    // no listener would take the whole control plane down), or already have.
    stream.on('error', (err) => this.log.debug('discovery stream error', { err }));
    if (stream.destroyed || stream.closed) return;
    if (headers[':path'] !== DISCOVERY_PATH || headers[':method'] !== 'POST') {
      return this.refuse(stream, 404, 'not_found', `no such stream ${String(headers[':path'])}`);
    }
    const unlisted = this.cache.unlisted();
    if (unlisted.length || !this.complete) {
      // A view from half the cluster could lack the policies that deny: fail closed,
      // the sidecar keeps its last view (or STRICT) and retries with its backoff.
      this.metrics.refused.inc({ reason: 'not_listed' });
      const message = unlisted.length
        ? `discovery has not listed ${unlisted.join(', ')} yet`
        : 'discovery is building its first complete view';
      this.limited.warn('discovery stream refused: not ready', { unlisted }, 'not_listed');
      return this.refuse(stream, 503, 'not_ready', message);
    }
    const socket = stream.session?.socket as TLSSocket | undefined;
    const identity = spiffeIdOf(socket?.getPeerCertificate());
    const address = plainAddress(socket?.remoteAddress);
    const verdict = checkPeer(this.cache, address, identity);
    if (!verdict.ok) {
      this.metrics.refused.inc({ reason: verdict.reason });
      this.limited.warn(
        'discovery stream refused',
        { address, identity, reason: verdict.detail },
        verdict.reason,
      );
      return this.refuse(stream, 403, ErrorCode.IdentityMismatch, verdict.detail);
    }
    const pod = this.cache.pods.get(verdict.podKey);
    this.accept(stream, {
      podKey: verdict.podKey,
      podUid: pod?.metadata?.uid ?? '',
      address,
      identity: identity!,
    });
  }

  private refuse(
    stream: http2.ServerHttp2Stream,
    status: number,
    code: string,
    message: string,
  ): void {
    if (!stream.headersSent)
      stream.respond({ ':status': status, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ code, message }) + '\n');
  }

  private accept(
    stream: http2.ServerHttp2Stream,
    bound: Pick<Connection, 'podKey' | 'podUid' | 'address' | 'identity'>,
  ): void {
    stream.respond({ ':status': 200, 'content-type': NDJSON, [SCOPING_HEADER]: SCOPING });
    const c: Connection = {
      id: ++this.nextId,
      ...bound,
      stream,
      connectedAt: new Date(),
      held: undefined,
      scope: undefined,
      excluded: new Map(),
      inFlight: undefined,
      dirty: false,
    };
    const podKey = c.podKey;
    // One stream per pod: a pod that opens many would hold one pending message and
    // one set of buffers each. The newest wins (the older is most likely a stream
    // its sidecar already gave up on).
    const slot = `${c.podUid}@${c.address}`;
    const older = this.byPod.get(slot);
    if (older) {
      this.metrics.closed.inc({ reason: 'replaced' });
      this.limited.log(
        'info',
        'discovery stream replaced by a newer one from its pod',
        { pod: podKey },
        'replaced',
      );
      this.drop(older);
      older.stream.close();
      older.stream.session?.close(); // its connection too: one per pod is all a sidecar needs
    }
    this.byPod.set(slot, c);
    this.connections.set(c.id, c);
    this.metrics.connected.set(this.connections.size);
    const reader = new LineReader(MAX_CLIENT_MESSAGE_BYTES);
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const raw of reader.push(chunk)) this.onMessage(c, raw);
      } catch (err) {
        this.metrics.refused.inc({ reason: 'bad_request' });
        this.limited.warn(
          'discovery stream closed: bad message',
          { pod: podKey, err },
          'bad_message',
        );
        stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
      }
    });
    stream.on('error', () => undefined); // the close below accounts for it
    stream.on('close', () => this.drop(c));
  }

  private drop(c: Connection): void {
    this.connections.delete(c.id);
    const slot = `${c.podUid}@${c.address}`;
    if (this.byPod.get(slot) === c) this.byPod.delete(slot);
    this.metrics.connected.set(this.connections.size);
  }

  /** The stream's pod is still the one it was bound to: same UID, address, identity, alive. */
  private stillBound(c: Connection, pod: V1Pod | undefined): pod is V1Pod {
    return (
      pod !== undefined &&
      pod.metadata?.uid === c.podUid &&
      podIps(pod).has(c.address) &&
      isLive(pod) &&
      podIdentity(pod, this.cache.trustDomain) === c.identity
    );
  }

  private hello(c: Connection, m: Extract<ClientMessage, { type: 'hello' }>): void {
    if (c.held) throw new Error('hello twice');
    c.held = { kind: 'explicit', versions: new Map(Object.entries(m.known)) };
    // Subscriptions declared: scoped. None (a sidecar from before scoping): wildcard.
    if (m.subscribe) c.scope = new Scope(m.subscribe);
    this.push(c, 'snapshot');
  }

  /** delta-xDS's resource_names_subscribe/unsubscribe, on the stream that carries the ACKs. */
  private subscribe(c: Connection, m: Extract<ClientMessage, { type: 'subscribe' }>): void {
    // A wildcard stream already gets every endpoint; it has nothing to subscribe to.
    if (!c.held || !c.scope) throw new Error('subscribe on a stream that is not scoped');
    const refused = c.scope.change(m.subscribe, m.unsubscribe);
    if (refused) {
      this.metrics.subscriptionsRefused.inc(refused);
      this.limited.warn(
        'sidecar subscribed past the cap; the names past it are answered as not found',
        { pod: c.podKey, refused, cap: MAX_SUBSCRIPTIONS },
        'over_subscribed',
      );
    }
    this.push(c, 'delta');
  }

  private onMessage(c: Connection, raw: unknown): void {
    const m = ClientMessage.parse(raw);
    if (m.type === 'hello') return this.hello(c, m);
    if (m.type === 'subscribe') return this.subscribe(c, m);
    if (c.inFlight?.nonce !== m.nonce) return; // a stale answer: a newer message is on its way
    const sent = c.inFlight;
    c.inFlight = undefined;
    if (m.type === 'ack') {
      c.held = sent.target;
      c.acked = { version: m.version, at: new Date() };
      this.metrics.acks.inc();
    } else {
      c.nacked = { version: m.version, error: m.error, at: new Date() };
      this.metrics.nacks.inc();
      // The key is constant: the error text is the peer's, and a varying key would
      // give every NACK a fresh burst of log lines.
      this.limited.warn(
        'sidecar refused its view (NACK); it keeps its last good one',
        { pod: c.podKey, error: m.error.slice(0, 200) },
        'nack',
      );
      let excludedMore = false;
      // By name once: a NACK may name many resources, and a peer chooses how many.
      const sentByName = new Map(sent.delta.resources.map((x) => [x.name, x]));
      for (const name of m.rejected.slice(0, sentByName.size)) {
        const r = sentByName.get(name);
        // Shared resources and the inbound policy may be left out (the sidecar keeps its
        // last good inbound, or runs STRICT); an authz/… policy never is: dropping one
        // could drop a DENY. The sidecar applies an invalid policy fail-closed instead.
        const excludable =
          r && (this.shared.has(name) || this.pods.has(name) || r.kind === 'inbound');
        if (excludable && c.excluded.get(name) !== r.version) {
          c.excluded.set(name, r.version);
          excludedMore = true;
        }
      }
      // Something newly left out: send again without it. Nothing new (no name, or names
      // not in what was sent): re-sending the same delta would only loop, but a change
      // that arrived while this message was in flight (dirty) still goes out.
      if (excludedMore) c.dirty = true;
    }
    if (c.dirty) this.push(c, 'delta');
  }

  /**
   * What the sidecar should hold: the shared snapshot minus what it refused, plus its
   * inbound policy, unless it refused that version too: then the inbound it holds stays
   * (its last good one, or none, which the sidecar runs as STRICT) until the policy changes.
   */
  private targetFor(c: Connection, pod: V1Pod): SnapshotHeld {
    const inbound = buildInboundResource(this.cache, pod, this.portsByIp);
    // Refusals of versions that no longer exist are forgotten.
    for (const [name, v] of c.excluded) {
      const now = name === inbound.name ? inbound : (this.shared.get(name) ?? this.pods.get(name));
      if (now?.version !== v) c.excluded.delete(name);
    }
    const refused = c.excluded.get(inbound.name) === inbound.version;
    return {
      kind: 'snapshot',
      shared: this.shared,
      excluded: new Map([...c.excluded].filter(([name]) => name !== inbound.name)),
      inbound: refused ? heldInbound(c.held!) : inbound,
      authz: authzResourcesFor(this.authz, pod, this.cache.rootNamespace),
      ...(c.scope ? { scoped: c.scope.view(this.shared, this.pods, c.excluded, c.address) } : {}),
    };
  }

  private push(c: Connection, type: 'snapshot' | 'delta'): void {
    const pod = this.cache.pods.get(c.podKey);
    if (!this.stillBound(c, pod)) {
      // The pod this stream was bound to is gone, or its name now belongs to another
      // instance (recreated: new UID, maybe another IP): it may see nothing more.
      this.metrics.closed.inc({ reason: 'pod_gone' });
      this.log.info('discovery stream closed: its pod is gone', { pod: c.podKey });
      this.drop(c);
      return c.stream.close();
    }
    if (c.inFlight) {
      c.dirty = true;
      return;
    }
    c.dirty = false;
    const target = this.targetFor(c, pod);
    const computed = deltaTo(c.held!, target, this.deltas);
    // Subscriptions to names that do not exist are answered as removed (not found).
    const missing = c.scope?.missing(target.scoped!, c.held!) ?? [];
    c.scope?.told(missing);
    const delta = missing.length
      ? { ...computed, removed: [...computed.removed, ...missing] }
      : computed;
    // Nothing new for a sidecar that has applied a view: no message. One that has not
    // (its snapshot was refused) still hears that what it holds is in force.
    const unchanged = !delta.resources.length && !delta.removed.length;
    if (unchanged && type === 'delta' && c.held?.kind === 'snapshot') {
      c.held = target;
      return;
    }
    const nonce = `${this.nonceBase}-${++this.nonces}`;
    const version = versionOf(target);
    const head = { type, nonce, version };
    const chunks = c.scope ? chunkedFrame(head, delta) : frame(head, delta);
    c.inFlight = { nonce, target, delta };
    c.sent = { version, nonce, at: new Date() };
    this.metrics.pushes.inc({ type });
    this.metrics.pushBytes.inc(
      { type },
      chunks.reduce((n, b) => n + b.length, 0),
    );
    for (const chunk of chunks) if (chunk.length > 0) c.stream.write(chunk);
  }
}
