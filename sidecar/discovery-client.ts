// The sidecar's discovery stream: one HTTP/2 POST stream over mTLS (its workload
// certificate) to the control plane, whose own certificate must carry the
// control plane's SPIFFE ID. It says which resource versions it holds, applies
// each message atomically (src/mesh/view-apply.ts) and ACKs, or NACKs and keeps
// its last good view. On any failure it keeps serving on that view and
// reconnects to the next address with capped, jittered backoff.
//
// It is scoped (docs/discovery.md, "Scoping"): it receives the catalog and its own
// policy, and endpoints/… and pod/… only for what the data path asked for
// (`endpoints`, `pod`: subscribed on first use, the request waiting for the answer,
// unsubscribed once unused for a while; see subscriptions.ts).
import http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import type tls from 'node:tls';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import type { MeshConfig } from '../src/mesh/config.js';
import { LineReader, LineTooLongError, encodeLine } from '../src/mesh/ndjson.js';
import { applyMessage, mustResync, nackOf } from '../src/mesh/view-apply.js';
import type { View } from '../src/mesh/view.js';
import {
  ENDPOINTS_PREFIX,
  endpointsKey,
  isOnDemand,
  podKey,
  versionsOf,
  viewVersion,
} from '../src/mesh/view.js';
import type { SidecarDiscoveryStatus } from '../src/debug/sidecar-view.js';
import type { ClientMessage } from '../src/mesh/wire.js';
import {
  DISCOVERY_PATH,
  NDJSON,
  SCOPING,
  SCOPING_HEADER,
  ServerMessage,
} from '../src/mesh/wire.js';
import type { Credentials } from './credentials.js';
import { spiffeIdOf } from './credentials.js';
import { nextBackoffMs } from './discovery-backoff.js';
import { keepAlive } from '../src/net/http2-keepalive.js';
import { ChunkAssembler } from '../src/mesh/chunks.js';
import type { OnDemand, Outcome } from './subscriptions.js';
import { Subscriptions } from './subscriptions.js';

/**
 * The longest message line the sidecar buffers. A 1000-service snapshot is ~1.4 MB;
 * a longer line ends the stream with a named reason instead of growing the buffer.
 */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const PING_MS = 10_000;
const PING_DEADLINE_MS = 5_000;

export interface DiscoveryClientOptions {
  /** HOST:PORT of each replica (or one Service address); tried in turn. */
  readonly addresses: readonly string[];
  /** The SPIFFE ID the control plane must present. */
  readonly serverIdentity: string;
  readonly clusterDomain: string;
  readonly creds: Credentials;
  readonly registry: Registry;
  readonly log: Logger;
  /** Called with each view applied, already validated. */
  readonly apply: (config: MeshConfig) => void;
  /** Keepalive PING period and the deadline for its answer (10 s, 5 s). */
  readonly pingIntervalMs?: number;
  readonly pingDeadlineMs?: number;
  /** How long a request waits for endpoints it subscribed to (5 s). */
  readonly waitMs?: number;
  /** How long subscribed endpoints may go unused before they are dropped (5 min). */
  readonly idleMs?: number;
}

export const DEFAULT_WAIT_MS = 5_000;
export const DEFAULT_IDLE_MS = 300_000;

export class DiscoveryClient implements OnDemand {
  private view: View = new Map();
  private readonly subs: Subscriptions;
  /**
   * Whether the open stream is scoped: the server says so in its response headers
   * (SCOPING_HEADER); one that does not (older than scoping) gets a wildcard hello,
   * which it understands. Undefined until the first answer.
   */
  private scoped: boolean | undefined;
  /** Writes to the open stream, once its hello is out; undefined while disconnected. */
  private send: ((m: ClientMessage) => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly waited;
  private session: http2.ClientHttp2Session | undefined;
  private attempt = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private synced = false;
  /** For the admin endpoint: the stream open now, the last view applied and refused. */
  private connectedTo: string | undefined;
  private lastApplied: { version: string; at: Date } | undefined;
  private lastRefused: { error: string; at: Date } | undefined;
  private readonly limited;
  private readonly applied;
  private readonly refused;
  private readonly reconnects;
  private readonly pingTimeouts;
  private readonly oversized;

  constructor(private readonly o: DiscoveryClientOptions) {
    this.limited = limitLogger(o.log);
    const registers = [o.registry];
    const waitMs = o.waitMs ?? DEFAULT_WAIT_MS;
    this.subs = new Subscriptions({
      now: () => performance.now(),
      waitMs,
      idleMs: o.idleMs ?? DEFAULT_IDLE_MS,
    });
    this.waited = new Histogram({
      name: 'weft_sidecar_discovery_wait_seconds',
      help: 'Requests that waited for a resource they subscribed to (endpoints, pod), by outcome (ready, missing, timeout).',
      labelNames: ['kind', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const subs = this.subs;
    new Gauge({
      name: 'weft_sidecar_discovery_subscriptions',
      help: 'Resources (endpoints/…, pod/…) this sidecar is subscribed to.',
      registers,
      collect() {
        this.set(subs.size);
      },
    });
    const held = (): View => this.view;
    new Gauge({
      name: 'weft_sidecar_discovery_endpoints',
      help: 'Endpoints in the view in force, over every Service whose endpoints it holds.',
      registers,
      collect() {
        let n = 0;
        for (const r of held().values()) if (r.kind === 'endpoints') n += r.endpoints.length;
        this.set(n);
      },
    });
    this.applied = new Counter({
      name: 'weft_sidecar_discovery_applied_total',
      help: 'Discovery messages applied (ACKed).',
      registers,
    });
    this.refused = new Counter({
      name: 'weft_sidecar_discovery_refused_total',
      help: 'Discovery messages refused (NACKed); the last good view stays.',
      registers,
    });
    this.reconnects = new Counter({
      name: 'weft_sidecar_discovery_reconnects_total',
      help: 'Discovery streams that ended and were retried.',
      registers,
    });
    this.pingTimeouts = new Counter({
      name: 'weft_sidecar_discovery_ping_timeouts_total',
      help: 'Discovery connections closed because the control plane did not answer a PING in time.',
      registers,
    });
    this.oversized = new Counter({
      name: 'weft_sidecar_discovery_oversized_total',
      help: `Discovery streams closed on a message line over ${MAX_MESSAGE_BYTES} bytes.`,
      registers,
    });
  }

  /** True once a first view has been applied (readiness). */
  ready = (): boolean => this.synced;

  /** The version of the view in force, for the admin endpoint. */
  version = (): string => viewVersion(this.view);

  /** What the admin endpoint reports of the stream (src/debug/sidecar-view.ts). */
  status(): SidecarDiscoveryStatus {
    const { connectedTo, lastApplied: a, lastRefused: r } = this;
    return {
      addresses: [...this.o.addresses],
      ...(connectedTo ? { connectedTo } : {}),
      synced: this.synced,
      version: this.version(),
      ...(a ? { applied: { version: a.version, at: a.at.toISOString() } } : {}),
      ...(r ? { refused: { error: r.error.slice(0, 1024), at: r.at.toISOString() } } : {}),
      ...(this.scoped ? { scoped: true, subscribed: this.subscribedServices() } : {}),
    };
  }

  /** The Services whose endpoints the view holds (`<ns>/<name>`), for kubectl weft config. */
  private subscribedServices(): string[] {
    const out: string[] = [];
    for (const name of this.view.keys())
      if (name.startsWith(ENDPOINTS_PREFIX)) out.push(name.slice(ENDPOINTS_PREFIX.length));
    return out.sort();
  }

  start(): void {
    const waitMs = this.o.waitMs ?? DEFAULT_WAIT_MS;
    // Waits time out at this granularity (a tenth of the wait, within 20 ms … 1 s).
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(20, waitMs / 10)));
    this.sweeper.unref();
    if (this.o.creds.ready()) this.connect();
    else this.o.creds.once('change', () => this.connect());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.sweeper) clearInterval(this.sweeper);
    this.session?.destroy();
  }

  endpoints(namespace: string, name: string): Promise<Outcome> | undefined {
    return this.demand('endpoints', endpointsKey(namespace, name));
  }

  pod(address: string): Promise<Outcome> | undefined {
    return this.demand('pod', podKey(address));
  }

  /** A scoped stream is open: a subscription can be answered now. */
  get live(): boolean {
    return this.scoped === true && this.send !== undefined;
  }

  private demand(kind: string, name: string): Promise<Outcome> | undefined {
    // A wildcard stream (a control plane from before scoping) holds all there is.
    if (this.scoped === false) return undefined;
    const use = this.subs.use(name, this.view.has(name));
    const unsubscribe = use.evicted ? [use.evicted] : [];
    if (use.subscribe) this.send?.({ type: 'subscribe', subscribe: [name], unsubscribe });
    if (use.kind === 'held') return undefined;
    if (use.kind === 'missing') return Promise.resolve('missing');
    if (use.kind === 'full') {
      this.limited.warn(
        'too many discovery subscriptions waiting at once; failing the request closed',
        { name },
        'full',
      );
      return Promise.resolve('timeout');
    }
    const started = performance.now();
    return new Promise<Outcome>((resolve) =>
      this.subs.wait(name, (outcome) => {
        this.waited.observe({ kind, outcome }, (performance.now() - started) / 1000);
        if (outcome === 'timeout') {
          this.limited.warn(
            'discovery did not answer a subscription in time',
            { name },
            `timeout|${kind}`,
          );
        }
        resolve(outcome);
      }),
    );
  }

  private sweep(): void {
    const idle = this.subs.sweep();
    // Only a scoped stream takes a subscribe (a wildcard one closes on it).
    if (idle.length && this.scoped)
      this.send?.({ type: 'subscribe', subscribe: [], unsubscribe: idle });
  }

  private connect(): void {
    if (this.stopped) return;
    const address = this.o.addresses[this.next++ % this.o.addresses.length]!;
    const session = http2.connect(`https://${address}`, {
      secureContext: this.o.creds.clientContext(),
      ALPNProtocols: ['h2'],
      servername: '', // an address, not a name: the SPIFFE ID below is what is checked
      checkServerIdentity: (_host: string, cert: tls.PeerCertificate) =>
        spiffeIdOf(cert) === this.o.serverIdentity
          ? undefined
          : new Error(`discovery presented ${spiffeIdOf(cert) ?? 'no SPIFFE ID'}`),
    });
    this.session = session;
    session.on('error', (err: Error) => this.failed(session, address, err));
    session.on('close', () => this.failed(session, address, undefined));
    keepAlive(session, {
      intervalMs: this.o.pingIntervalMs ?? PING_MS,
      deadlineMs: this.o.pingDeadlineMs ?? PING_DEADLINE_MS,
      onTimeout: () => {
        this.pingTimeouts.inc();
        this.limited.warn(
          'discovery did not answer a PING in time; reconnecting',
          { address },
          'ping',
        );
      },
    });
    this.open(session, address);
  }

  private open(session: http2.ClientHttp2Session, address: string): void {
    const stream = session.request({
      ':method': 'POST',
      ':path': DISCOVERY_PATH,
      'content-type': NDJSON,
    });
    const send = (m: ClientMessage): void => void stream.write(encodeLine(m));
    stream.on('response', (headers) => {
      const status = headers[':status'];
      if (status === 200) {
        this.connectedTo = address;
        this.hello(send, headers[SCOPING_HEADER] === SCOPING);
      } else {
        this.limited.warn(
          'discovery refused this sidecar',
          { address, status },
          `status:${status}`,
        );
      }
    });
    const reader = new LineReader(MAX_MESSAGE_BYTES);
    const parts = new ChunkAssembler(); // per stream: a split message never spans two
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const raw of reader.push(chunk))
          this.onMessage(parts.push(ServerMessage.parse(raw)), send, session);
      } catch (err) {
        const oversized = err instanceof LineTooLongError;
        if (oversized) this.oversized.inc();
        this.limited.warn(
          oversized
            ? 'discovery message too long; reconnecting'
            : 'discovery stream unreadable; reconnecting',
          { address, err },
          oversized ? 'oversized' : 'unreadable',
        );
        session.destroy();
      }
    });
    stream.on('error', () => undefined);
    stream.on('close', () => {
      if (this.send === send) this.send = undefined;
      session.close();
    });
  }

  /**
   * The first line on a stream. Scoped: every name held or waited for is subscribed
   * again (delta-xDS's reconnect), including endpoints/… and pod/… a wildcard stream
   * left in the view. Wildcard: no `subscribe` field (an older server refuses it), and
   * whoever waits is released to the view the snapshot brings.
   */
  private hello(send: (m: ClientMessage) => void, scoped: boolean): void {
    this.scoped = scoped;
    if (scoped) {
      this.subs.reset([...this.view.keys()].filter(isOnDemand));
      send({ type: 'hello', known: versionsOf(this.view), subscribe: this.subs.names() });
    } else {
      send({ type: 'hello', known: versionsOf(this.view) });
    }
    this.send = send;
  }

  private onMessage(
    message: ServerMessage | undefined,
    send: (m: ClientMessage) => void,
    session: http2.ClientHttp2Session,
  ): void {
    if (!message) return; // more parts of it to come
    const result = applyMessage(this.view, message, this.o.clusterDomain);
    const removed = new Set(message.removed);
    if (!result.ok) {
      // Not-found answers count even in a refused message: a waiter fails fast.
      this.subs.arrived((n) => this.view.has(n), removed);
      this.refused.inc();
      this.lastRefused = { error: result.error, at: new Date() };
      this.limited.warn(
        'discovery view refused; keeping the last good one',
        { error: result.error },
        result.error,
      );
      send(nackOf(this.view, message.nonce, result));
      if (mustResync(result)) session.destroy();
      return;
    }
    this.o.apply(result.config);
    this.view = result.view;
    // Wildcard: the view holds everything there is; nobody waits past it.
    const has =
      this.scoped === false ? (): boolean => true : (n: string): boolean => result.view.has(n);
    this.subs.arrived(has, removed);
    this.synced = true;
    this.lastApplied = { version: message.version, at: new Date() };
    this.attempt = 0;
    this.applied.inc();
    send({ type: 'ack', nonce: message.nonce, version: message.version });
  }

  private failed(session: http2.ClientHttp2Session, address: string, err: Error | undefined): void {
    if (this.session !== session) return; // already replaced
    this.session = undefined;
    this.connectedTo = undefined;
    session.destroy();
    if (this.stopped) return;
    this.reconnects.inc();
    const delay = nextBackoffMs(this.attempt++);
    this.limited.warn(
      'discovery stream ended; serving the last view, reconnecting',
      { address, delayMs: delay, err },
      'ended',
    );
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }
}
