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
import { spiffeIdOf } from '../src/pki/peer-spiffe-id.js';
import { LineReader } from '../src/mesh/ndjson.js';
import type { Resource, View } from '../src/mesh/view.js';
import { ClientMessage, DISCOVERY_PATH, NDJSON } from '../src/mesh/wire.js';
import type { ClusterCache } from './cluster-cache.js';
import type { DiscoveryConfig } from './config.js';
import type { Delta, Held, SnapshotHeld } from './held-view.js';
import { DeltaCache, deltaTo, versionOf } from './held-view.js';
import type { DiscoveryMetrics } from './metrics.js';
import { checkPeer, plainAddress, podIdentity } from './peer-check.js';

const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface ConnectionStatus {
  readonly pod: string;
  readonly identity: string;
  readonly connectedAt: string;
  readonly acked?: { version: string; at: string };
  readonly nacked?: { version: string; error: string; at: string };
}

interface Connection {
  readonly id: number;
  readonly podKey: string;
  readonly identity: string;
  readonly stream: http2.ServerHttp2Stream;
  readonly connectedAt: Date;
  held: Held | undefined;
  excluded: Map<string, string>;
  inFlight: { nonce: string; target: SnapshotHeld; delta: Delta } | undefined;
  dirty: boolean;
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

function frame(type: string, nonce: string, version: string, delta: Delta): string {
  // Each resource is serialised once however many sidecars receive it.
  const head = `{"type":"${type}","nonce":"${nonce}","version":"${version}","resources":[`;
  return `${head}${delta.resources.map(json).join(',')}],"removed":${JSON.stringify(delta.removed)}}\n`;
}

export class DiscoveryStreams {
  private shared: View = new Map();
  private portsByIp = new Map<string, Map<number, ServicePort>>();
  private deltas = new DeltaCache(this.shared);
  private authz: AuthzCatalog = buildAuthzCatalog([]);
  private readonly connections = new Map<number, Connection>();
  private nextId = 0;
  private readonly nonceBase = randomBytes(4).toString('hex');
  private nonces = 0;
  private readonly limited: LimitedLogger;
  private pushing: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly cache: ClusterCache,
    private readonly config: DiscoveryConfig,
    private readonly metrics: DiscoveryMetrics,
    private readonly log: Logger,
  ) {
    this.limited = limitLogger(log);
  }

  /** Rebuilds the shared view from the cache and pushes to every sidecar (after the debounce). */
  rebuild(): void {
    const end = this.metrics.buildSeconds.startTimer();
    this.shared = buildServiceResources(this.cache);
    this.portsByIp = inboundPortsByIp(this.shared);
    this.deltas = new DeltaCache(this.shared);
    this.authz = buildAuthzCatalog(this.cache.authorizationPolicies.values());
    end();
    this.metrics.resources.set(this.shared.size);
    void this.pushAll();
  }

  status(): ConnectionStatus[] {
    return [...this.connections.values()].map((c) => ({
      pod: c.podKey,
      identity: c.identity,
      connectedAt: c.connectedAt.toISOString(),
      ...(c.acked ? { acked: { version: c.acked.version, at: c.acked.at.toISOString() } } : {}),
      ...(c.nacked ? { nacked: { ...c.nacked, at: c.nacked.at.toISOString() } } : {}),
    }));
  }

  closeAll(): void {
    for (const c of this.connections.values()) c.stream.close();
  }

  /** Pushes in batches, yielding between them; a rebuild during a push runs once more after. */
  private async pushAll(): Promise<void> {
    if (this.pushing) {
      this.again = true;
      return this.pushing;
    }
    this.pushing = (async () => {
      do {
        this.again = false;
        let n = 0;
        for (const c of [...this.connections.values()]) {
          if (c.held) this.push(c, 'delta');
          if (++n % this.config.pushBatch === 0) await new Promise((r) => setImmediate(r));
        }
      } while (this.again);
    })()
      .catch((err: unknown) => this.log.error('discovery push failed', { err }))
      .finally(() => (this.pushing = undefined));
    return this.pushing;
  }

  handle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    if (headers[':path'] !== DISCOVERY_PATH || headers[':method'] !== 'POST') {
      return this.refuse(stream, 404, 'not_found', `no such stream ${String(headers[':path'])}`);
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
    this.accept(stream, verdict.podKey, identity!);
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

  private accept(stream: http2.ServerHttp2Stream, podKey: string, identity: string): void {
    stream.respond({ ':status': 200, 'content-type': NDJSON });
    const c: Connection = {
      id: ++this.nextId,
      podKey,
      identity,
      stream,
      connectedAt: new Date(),
      held: undefined,
      excluded: new Map(),
      inFlight: undefined,
      dirty: false,
    };
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
    stream.on('close', () => {
      this.connections.delete(c.id);
      this.metrics.connected.set(this.connections.size);
    });
  }

  private onMessage(c: Connection, raw: unknown): void {
    const m = ClientMessage.parse(raw);
    if (m.type === 'hello') {
      if (c.held) throw new Error('hello twice');
      c.held = { kind: 'explicit', versions: new Map(Object.entries(m.known)) };
      return this.push(c, 'snapshot');
    }
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
      for (const name of m.rejected) {
        const r = sent.delta.resources.find((x) => x.name === name);
        // Only shared resources are left out: a sidecar's own (inbound, authz/…) are
        // never dropped from its view, least of all a policy that would deny.
        if (r && this.shared.has(name) && c.excluded.get(name) !== r.version) {
          c.excluded.set(name, r.version);
          excludedMore = true;
        }
      }
      // Nothing newly left out (no name, or names not in what was sent): re-sending the
      // same delta would only loop; wait for the next change.
      if (!excludedMore) return;
      c.dirty = true;
    }
    if (c.dirty) this.push(c, 'delta');
  }

  private inboundFor(pod: V1Pod): Resource {
    return buildInboundResource(this.cache, pod, this.portsByIp);
  }

  private push(c: Connection, type: 'snapshot' | 'delta'): void {
    if (c.inFlight) {
      c.dirty = true;
      return;
    }
    c.dirty = false;
    const pod = this.cache.pods.get(c.podKey);
    if (!pod || podIdentity(pod, this.cache.trustDomain) !== c.identity) {
      // The pod this stream was bound to is gone (or changed): it may see nothing more.
      this.log.info('discovery stream closed: its pod is gone', { pod: c.podKey });
      return c.stream.close();
    }
    // Refusals of versions that no longer exist are forgotten.
    for (const [name, v] of c.excluded)
      if (this.shared.get(name)?.version !== v) c.excluded.delete(name);
    const target: SnapshotHeld = {
      kind: 'snapshot',
      shared: this.shared,
      excluded: new Map(c.excluded),
      inbound: this.inboundFor(pod),
      authz: authzResourcesFor(this.authz, pod, this.cache.rootNamespace),
    };
    const delta = deltaTo(c.held!, target, this.deltas);
    // Nothing new for a sidecar that has applied a view: no message. One that has not
    // (its snapshot was refused) still hears that what it holds is in force.
    const unchanged = !delta.resources.length && !delta.removed.length;
    if (unchanged && type === 'delta' && c.held?.kind === 'snapshot') {
      c.held = target;
      return;
    }
    const nonce = `${this.nonceBase}-${++this.nonces}`;
    const text = frame(type, nonce, versionOf(target), delta);
    c.inFlight = { nonce, target, delta };
    this.metrics.pushes.inc({ type });
    this.metrics.pushBytes.inc({ type }, Buffer.byteLength(text));
    c.stream.write(text);
  }
}
