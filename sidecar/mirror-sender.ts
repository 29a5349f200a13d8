// RequestMirror's copies, fire and forget: each goes to an endpoint of the mirror's
// Service (mTLS to its sidecar, as a forward would), its answer is read and thrown
// away, and neither its answer nor its failure ever touches the client's. Bounded
// twice over: a copy is sent only when the body is held whole (request-body.ts:
// the copy shares that buffer, so nothing more is held than the client sent) or
// there is none; and past `maxInFlight` copies in flight, new ones are dropped and
// counted rather than queued. The Host gets Envoy's `-shadow` suffix, so the
// mirror's app can tell copies apart.
import type http from 'node:http';
import type http2 from 'node:http2';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { LimitedLogger } from '../src/log-limit.js';
import type { MeshIndex, Target } from '../src/mesh/mesh-index.js';
import { takesMtls } from '../src/mesh/endpoint-mtls.js';
import type { Random } from '../src/random.js';
import type { BackendRef } from '../src/routes/index.js';
import type { Exchange } from './exchange.js';
import { authorityOf, isHttp2Request } from './exchange.js';
import { forwardHeaders } from './http-headers.js';
import { heldWhole } from './layers/request-body.js';
import type { Upstream, UpstreamPool } from './upstream-pool.js';

export interface MirrorOptions {
  readonly pool: UpstreamPool;
  readonly log: LimitedLogger;
  readonly random: Random;
  readonly registry?: Registry | undefined;
  /** Copies in flight before new ones are dropped; default 64. */
  readonly maxInFlight?: number;
  /** A copy's answer must be done within this; default 10 s. */
  readonly timeoutMs?: number;
}

/** What one copy is: the request as forwarded, its body held whole (or none). */
export interface MirrorCopy {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: http.OutgoingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly h2: boolean;
}

export type Outcome = 'sent' | 'dropped' | 'failed';

export class MirrorSender {
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly counter: Counter<'outcome'> | undefined;

  constructor(private readonly o: MirrorOptions) {
    this.maxInFlight = o.maxInFlight ?? 64;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.counter = o.registry
      ? new Counter({
          name: 'weft_sidecar_route_mirrors_total',
          help: 'RequestMirror copies by outcome: sent, dropped (unbounded body, too many in flight, no such backend) or failed.',
          labelNames: ['outcome'],
          registers: [o.registry],
        })
      : undefined;
  }

  /** Copies in flight now (tests). */
  get pending(): number {
    return this.inFlight;
  }

  private count(outcome: Outcome, why?: string, ref?: BackendRef): void {
    this.counter?.inc({ outcome });
    if (why) {
      const fields = { mirror: ref ? `${ref.namespace}/${ref.name}` : undefined, why };
      this.o.log.log('debug', `route mirror ${outcome}`, fields, `mirror|${outcome}|${why}`);
    }
  }

  /** Sends a copy of the exchange's request to each mirror; returns at once. */
  send(mesh: MeshIndex, ex: Exchange, mirrors: readonly BackendRef[]): void {
    for (const ref of mirrors) {
      if (!heldWhole(ex)) {
        this.count('dropped', 'request body over the replay bound', ref);
        continue;
      }
      if (this.inFlight >= this.maxInFlight) {
        this.count('dropped', 'too many copies in flight', ref);
        continue;
      }
      const target =
        ref.port === undefined ? undefined : mesh.service(ref.namespace, ref.name, ref.port);
      const upstream = target && this.upstream(mesh, target);
      if (!upstream) {
        this.count('dropped', 'mirror backend not found or without endpoints', ref);
        continue;
      }
      this.inFlight++;
      this.copy(upstream, copyOf(ex))
        .then(
          () => this.count('sent'),
          (err: Error) => this.count('failed', err.message, ref),
        )
        .finally(() => this.inFlight--);
    }
  }

  private upstream(mesh: MeshIndex, t: Target): Upstream | undefined {
    const eps = t.service.endpoints;
    const endpoint = eps[Math.floor(this.o.random() * eps.length)];
    if (!endpoint) return undefined;
    const port = t.port.targetPort ?? t.port.port;
    const identities = takesMtls(endpoint, port) ? mesh.identities(t.service) : undefined;
    return { address: endpoint.address, port, identities };
  }

  private async copy(u: Upstream, c: MirrorCopy): Promise<void> {
    if (c.h2) return this.copyHttp2(this.o.pool.http2(u), c);
    const answer = await this.o.pool.pool(u).request({
      method: c.method,
      path: c.path,
      headers: { ...c.headers, host: c.authority } as Record<string, string>,
      body: c.body ?? null,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    await answer.body.dump();
  }

  private copyHttp2(session: http2.ClientHttp2Session, c: MirrorCopy): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = session.request(
        {
          ...c.headers,
          ':method': c.method,
          ':path': c.path,
          ':authority': c.authority,
          ':scheme': 'http',
        },
        // Not the method's default (a GET ends at once): a GET's body would be lost.
        { endStream: c.body === undefined },
      );
      stream.setTimeout(this.timeoutMs, () => stream.close(0x8));
      stream.on('error', reject);
      stream.on('close', () =>
        stream.rstCode ? reject(new Error(`reset ${stream.rstCode}`)) : resolve(),
      );
      stream.resume();
      stream.end(c.body);
    });
  }
}

/** The request as it is forwarded now (after the rule's rewrites), Host marked `-shadow`. */
export function copyOf(ex: Exchange): MirrorCopy {
  const authority = authorityOf(ex.req);
  const colon = authority.lastIndexOf(':');
  const shadow =
    colon > 0 && !authority.endsWith(']')
      ? `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`
      : `${authority}-shadow`;
  return {
    method: ex.req.method ?? 'GET',
    path: ex.req.url ?? '/',
    authority: shadow,
    headers: forwardHeaders(ex.req.headers),
    body: Buffer.isBuffer(ex.body) ? ex.body : undefined,
    h2: isHttp2Request(ex.req),
  };
}
