// The sidecar's discovery stream: one HTTP/2 POST stream over mTLS (its workload
// certificate) to the control plane, whose own certificate must carry the
// control plane's SPIFFE ID. It says which resource versions it holds, applies
// each message atomically (src/mesh/view-apply.ts) and ACKs, or NACKs and keeps
// its last good view. On any failure it keeps serving on that view and
// reconnects to the next address with capped, jittered backoff.
import http2 from 'node:http2';
import type tls from 'node:tls';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import type { MeshConfig } from '../src/mesh/config.js';
import { LineReader, LineTooLongError, encodeLine } from '../src/mesh/ndjson.js';
import { applyMessage, mustResync, nackOf } from '../src/mesh/view-apply.js';
import type { View } from '../src/mesh/view.js';
import { versionsOf, viewVersion } from '../src/mesh/view.js';
import type { SidecarDiscoveryStatus } from '../src/debug/sidecar-view.js';
import type { ClientMessage } from '../src/mesh/wire.js';
import { DISCOVERY_PATH, NDJSON, ServerMessage } from '../src/mesh/wire.js';
import type { Credentials } from './credentials.js';
import { spiffeIdOf } from './credentials.js';
import { nextBackoffMs } from './discovery-backoff.js';
import { keepAlive } from '../src/net/http2-keepalive.js';

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
}

export class DiscoveryClient {
  private view: View = new Map();
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
    };
  }

  start(): void {
    if (this.o.creds.ready()) this.connect();
    else this.o.creds.once('change', () => this.connect());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.session?.destroy();
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
    stream.on('response', (headers) => {
      const status = headers[':status'];
      if (status === 200) this.connectedTo = address;
      else {
        this.limited.warn(
          'discovery refused this sidecar',
          { address, status },
          `status:${status}`,
        );
      }
    });
    const send = (m: ClientMessage): void => void stream.write(encodeLine(m));
    send({ type: 'hello', known: versionsOf(this.view) });
    const reader = new LineReader(MAX_MESSAGE_BYTES);
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const raw of reader.push(chunk)) this.onMessage(raw, send, session);
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
    stream.on('close', () => session.close());
  }

  private onMessage(
    raw: unknown,
    send: (m: ClientMessage) => void,
    session: http2.ClientHttp2Session,
  ): void {
    const message = ServerMessage.parse(raw);
    const result = applyMessage(this.view, message, this.o.clusterDomain);
    if (!result.ok) {
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
