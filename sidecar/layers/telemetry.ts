// Outermost layer: once the response is done (or the client went away), records
// Istio's request metrics and, when enabled, one JSON access-log line.
import type { Logger } from '../../src/log.js';
import type { Exchange, Layer } from '../exchange.js';
import { replyComplete } from '../exchange.js';
import { decidedBy } from '../authz.js';
import type { IstioMetrics, Peers } from '../istio-metrics.js';

/** Header bytes as Istio counts them in request/response sizes: name, value, ': ', CRLF. */
function headerBytes(raw: readonly string[]): number {
  let n = 0;
  for (const part of raw) n += part.length + 2;
  return n;
}

function isGrpc(ex: Exchange): boolean {
  const ct = ex.req.headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
}

export interface TelemetryOptions {
  readonly metrics: IstioMetrics;
  readonly peersOf: (ex: Exchange) => Peers;
  readonly accessLog?: Logger | undefined;
}

export const telemetry =
  (opts: TelemetryOptions): Layer =>
  (next) =>
  async (ex) => {
    await next(ex);
    const durationMs = Number(process.hrtime.bigint() - ex.startedAt) / 1e6;
    // A response the client abandoned before it finished: Envoy's DC flag. (A reply
    // cut by us, the upstream failed or timed out, carries its own flag: UR, UT.)
    if (ex.flags === '-' && !replyComplete(ex.res)) ex.flags = 'DC';
    const code = ex.res.headersSent ? ex.res.statusCode : 0;
    const grpc = isGrpc(ex);
    const outcome = {
      protocol: grpc ? ('grpc' as const) : ('http' as const),
      code,
      grpcStatus: grpc ? (ex.grpcStatus ?? '') : '',
      flags: ex.flags,
      durationMs,
      requestBytes: ex.requestBytes + headerBytes(ex.req.rawHeaders),
      responseBytes: ex.responseBytes,
    };
    opts.metrics.request(opts.peersOf(ex), outcome);
    opts.accessLog?.info('request', {
      direction: ex.conn.direction,
      method: ex.req.method,
      authority: ex.req.headers.host ?? ex.req.headers[':authority'],
      path: ex.req.url,
      protocol: `HTTP/${ex.req.httpVersion}`,
      status: code,
      flags: ex.flags,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytesReceived: ex.requestBytes,
      bytesSent: ex.responseBytes,
      upstream: ex.endpoint?.address,
      peer: ex.conn.peerIdentity ?? ex.upstreamIdentity,
      traceparent: ex.req.headers.traceparent,
      // Inbound: what authorized (or denied) it: `ns/name` and rule, or default-allow /
      // no-allow-matched; AUDIT policies that matched are listed too.
      ...(ex.authz ? decidedBy(ex.authz) : {}),
      // Outbound: the HTTPRoute/GRPCRoute (`ns/name`) and rule (name, else index) that routed it.
      ...(ex.routed ? { route: ex.routed.route, rule: ex.routed.rule } : {}),
      ...(ex.authz?.audit.length ? { audit: ex.authz.audit } : {}),
    });
  };
