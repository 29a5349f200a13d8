// One simulated sidecar of `npm run bench:discovery`: the discovery half of
// sidecar/discovery-client.ts without the data plane. One HTTP/2 stream over mTLS
// (its own pod's certificate) from its pod's loopback address, the real wire
// schemas and framing (src/mesh/wire.ts, ndjson.ts, chunks.ts), every message
// applied with the sidecar's own code (src/mesh/view-apply.ts: parse, apply,
// compile to a MeshConfig) and ACKed, or NACKed and the last good view kept.
// Scoped, as a real sidecar is when discovery offers it: the catalog, plus the
// endpoints of the services its spec names (those a real one would have called);
// a spec without names is a wildcard sidecar from before scoping (everything).
//
// What it leaves out to be light: the compiled MeshConfig is dropped after each
// apply unless `keepConfig` (the heap probe keeps it, as a sidecar does), and a
// worker's sims share identical resource objects (same name and version) once
// applied, so 250 sims in one process do not hold 250 copies of the catalog.
import { randomInt } from 'node:crypto';
import http2 from 'node:http2';
import tls from 'node:tls';
import type { MeshConfig } from '../src/mesh/config.js';
import { ChunkAssembler } from '../src/mesh/chunks.js';
import { LineReader, encodeLine } from '../src/mesh/ndjson.js';
import { applyMessage, mustResync, nackOf } from '../src/mesh/view-apply.js';
import type { Resource, View } from '../src/mesh/view.js';
import { versionsOf } from '../src/mesh/view.js';
import type { ClientMessage } from '../src/mesh/wire.js';
import {
  DISCOVERY_PATH,
  NDJSON,
  SCOPING,
  SCOPING_HEADER,
  ServerMessage,
} from '../src/mesh/wire.js';
import { spiffeIdOf } from '../src/pki/peer-spiffe-id.js';

export interface SimSpec {
  readonly index: number;
  /** The pod's IP (127.0.x.y): the stream's source address, which discovery checks. */
  readonly address: string;
  readonly cert: string;
  readonly key: string;
  /** endpoints/<ns>/<service> names it subscribes to (scoped); absent: wildcard. */
  readonly subscribe?: readonly string[];
}

/**
 * What a simulated sidecar subscribes to: the endpoints its spec names (scoped), or
 * everything (wildcard). The convergence check waits only for the sims subscribed
 * to the service a change touches: a scoped mesh sends a change to them alone.
 */
export function subscriptionOf(spec: SimSpec): 'all' | ReadonlySet<string> {
  return spec.subscribe ? new Set(spec.subscribe) : 'all';
}

export const isSubscribed = (sub: 'all' | ReadonlySet<string>, resource: string): boolean =>
  sub === 'all' || sub.has(resource);

export interface SimOptions {
  readonly port: number;
  readonly roots: string;
  /** The SPIFFE ID discovery must present (checked as the sidecar does). */
  readonly serverIdentity: string;
  readonly keepConfig: boolean;
  /** Identical resources shared between the sims of one process (see the header). */
  readonly pool: Map<string, Resource>;
  /** Called after each message is applied and ACKed. */
  readonly onApplied: (sim: Sim, applied: AppliedMessage) => void;
}

export interface AppliedMessage {
  readonly type: 'snapshot' | 'delta';
  readonly bytes: number;
  /** Time applyMessage took (parse, apply, compile), ms. */
  readonly applyMs: number;
  /** Epoch ms (sub-ms) when the ACK was written, comparable across processes. */
  readonly at: number;
}

const MAX_LINE = 64 * 1024 * 1024;
const MAX_ATTEMPTS = 60;
export const epochMs = (): number => performance.timeOrigin + performance.now();

export class Sim {
  view: View = new Map();
  config: MeshConfig | undefined;
  services = 0;
  applied = 0;
  nacks: string[] = [];
  connected = false;
  lastStatus = 0;
  readonly subscription: 'all' | ReadonlySet<string>;
  private session: http2.ClientHttp2Session | undefined;
  private attempts = 0;
  private stopped = false;

  constructor(
    readonly spec: SimSpec,
    private readonly o: SimOptions,
  ) {
    this.subscription = subscriptionOf(spec);
  }

  start(): void {
    if (this.stopped) return;
    if (++this.attempts > MAX_ATTEMPTS) {
      this.nacks.push(`gave up after ${MAX_ATTEMPTS} connection attempts`);
      return;
    }
    const { port, roots, serverIdentity } = this.o;
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      createConnection: () =>
        tls.connect({
          host: '127.0.0.1',
          port,
          ca: roots,
          cert: this.spec.cert,
          key: this.spec.key,
          ALPNProtocols: ['h2'],
          // Passed on to net.connect (tls's types leave it out): the pod's source address.
          ...{ localAddress: this.spec.address },
          checkServerIdentity: (_h, cert) =>
            spiffeIdOf(cert) === serverIdentity
              ? undefined
              : new Error(`discovery presented ${spiffeIdOf(cert) ?? 'no SPIFFE ID'}`),
        }),
    });
    this.session = session;
    session.on('error', () => undefined);
    session.on('close', () => this.retry(session));
    this.open(session);
  }

  stop(): void {
    this.stopped = true;
    this.session?.destroy();
  }

  private retry(session: http2.ClientHttp2Session): void {
    this.connected = false;
    if (this.stopped || this.session !== session) return;
    // Discovery answers 503 until it has listed everything; a storm may also be cut.
    const ceiling = Math.min(5000, 250 * 2 ** Math.min(this.attempts, 5));
    setTimeout(() => this.start(), ceiling / 2 + randomInt(ceiling / 2)).unref();
  }

  private open(session: http2.ClientHttp2Session): void {
    const stream = session.request({
      ':method': 'POST',
      ':path': DISCOVERY_PATH,
      'content-type': NDJSON,
    });
    const send = (m: ClientMessage): void => void stream.write(encodeLine(m));
    stream.on('response', (h) => {
      this.lastStatus = Number(h[':status']);
      if (this.lastStatus !== 200) return void session.destroy();
      this.connected = true;
      // As the real sidecar: scoped only when discovery offers it.
      const scoped = h[SCOPING_HEADER] === SCOPING && this.subscription !== 'all';
      send({
        type: 'hello',
        known: versionsOf(this.view),
        ...(scoped ? { subscribe: [...this.subscription] } : {}),
      });
    });
    stream.on('error', () => undefined);
    stream.on('close', () => session.destroy());
    const reader = new LineReader(MAX_LINE);
    const parts = new ChunkAssembler();
    // At most one message is in flight (discovery waits for the ACK), so the bytes
    // received since the last message are the next message's size.
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (const raw of reader.push(chunk)) {
        const message = parts.push(ServerMessage.parse(raw));
        if (!message) continue; // more lines of it follow
        this.onMessage(message, bytes, send, session);
        bytes = 0;
      }
    });
  }

  private onMessage(
    message: ServerMessage,
    bytes: number,
    send: (m: ClientMessage) => void,
    session: http2.ClientHttp2Session,
  ): void {
    const t0 = performance.now();
    const result = applyMessage(this.view, message, 'cluster.local');
    const applyMs = performance.now() - t0;
    if (!result.ok) {
      this.nacks.push(result.error);
      send(nackOf(this.view, message.nonce, result));
      if (mustResync(result)) session.destroy();
      return;
    }
    this.view = this.intern(result.view);
    this.config = this.o.keepConfig ? result.config : undefined;
    this.services = result.config.services.length;
    this.applied++;
    this.attempts = 0;
    send({ type: 'ack', nonce: message.nonce, version: message.version });
    this.o.onApplied(this, { type: message.type, bytes, applyMs, at: epochMs() });
  }

  private intern(view: View): View {
    const out = new Map<string, Resource>();
    for (const [name, r] of view) {
      const key = `${name}@${r.version}`;
      let shared = this.o.pool.get(key);
      if (!shared) this.o.pool.set(key, (shared = r));
      out.set(name, shared);
    }
    return out;
  }
}

/** Whether the view's endpoints resource `resource` lists `address`. */
export function holdsEndpoint(view: View, resource: string, address: string): boolean {
  const r = view.get(resource);
  return r?.kind === 'endpoints' && r.endpoints.some((e) => e.address === address);
}
