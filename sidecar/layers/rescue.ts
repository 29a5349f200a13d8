// The one place a failure becomes a response: typed errors map to their status
// (404 no route, 503 no upstream or failed connect, 504 timeout, 403 denied by an
// AuthorizationPolicy) with the Envoy response flag recorded; the body names the
// failure but not internal detail. A gRPC request gets what Envoy's local replies
// give gRPC clients: a trailers-only answer (HTTP 200, grpc-status from the HTTP
// status). A peer can make a failure per request, so the log lines are
// rate-limited by code.
import { ErrorCode, asWeftError } from '../../src/errors.js';
import type { WeftError } from '../../src/errors.js';
import type { LimitedLogger } from '../../src/log-limit.js';
import type { Exchange, Layer } from '../exchange.js';
import { resetReply, untilReplyEnds } from '../exchange.js';
import { mergeFlags } from '../../src/traffic/index.js';

const FLAGS: Partial<Record<ErrorCode, string>> = {
  no_route: 'NR',
  no_healthy_upstream: 'UH',
  upstream_connect_failed: 'UF',
  upstream_reset: 'UR',
  upstream_timeout: 'UT',
  upstream_overflow: 'UO',
  // Envoy's "no cluster found": what Istio answers for a route whose backend is unusable.
  route_backend_unusable: 'NC',
  unavailable: 'UH',
  endpoints_pending: 'UH',
  // Envoy's RBAC filter sets no response flag: its denial is a 403 with response code
  // details `rbac_access_denied_matched_policy[…]` and flags `-` (rbac_filter.cc calls
  // sendLocalReply without setResponseFlag; envoyproxy/envoy#12873, #21197; `UAEX` is
  // ext_authz's). Istio's metrics show an RBAC denial as response_code 403, flags "-".
  authz_denied: '-',
};

/** Envoy's local-reply bodies where clients and dashboards know them by heart. */
const BODIES: Partial<Record<ErrorCode, string>> = {
  authz_denied: 'RBAC: access denied',
};

/** HTTP status → gRPC status, as Envoy maps its local replies (Grpc::Utility::httpToGrpcStatus). */
function grpcStatusOf(status: number): number {
  if (status === 400) return 13; // INTERNAL
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 12; // UNIMPLEMENTED
  if ([429, 502, 503, 504].includes(status)) return 14; // UNAVAILABLE
  return 2; // UNKNOWN
}

/** grpc-message is percent-encoded: bytes outside printable ASCII, and `%` itself. */
const grpcMessage = (text: string): string =>
  text.replace(/[^\x20-\x24\x26-\x7e]/g, (c) => encodeURIComponent(c));

const isGrpc = (ex: Exchange): boolean => {
  const ct = ex.req.headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc');
};

function reply(ex: Exchange, e: WeftError): void {
  const { res } = ex;
  const text = BODIES[e.code] ?? e.message;
  if (isGrpc(ex)) {
    // Trailers-only: one HEADERS frame that ends the stream, grpc-status in it.
    ex.grpcStatus = String(grpcStatusOf(e.status));
    res.writeHead(200, {
      'content-type': 'application/grpc',
      'grpc-status': ex.grpcStatus,
      'grpc-message': grpcMessage(text),
      'x-weft-error': e.code,
    });
    res.end();
    return;
  }
  const body = BODIES[e.code] ?? `${text}\n`;
  res.writeHead(e.status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
    'x-weft-error': e.code,
    ...(e.retryAfterSeconds ? { 'retry-after': String(e.retryAfterSeconds) } : {}),
  });
  res.end(body);
}

export const rescue =
  (log: LimitedLogger): Layer =>
  (next) =>
  async (ex) => {
    try {
      await next(ex);
    } catch (err) {
      const e = asWeftError(err);
      // Joined, not replaced: a delay injected before the failure (DI) and URX from
      // the retry layer (every try used) stay beside the failure's own flag.
      ex.flags = mergeFlags(ex.flags, FLAGS[e.code] ?? 'DPE');
      const fields = { code: e.code, direction: ex.conn.direction, flags: ex.flags };
      const key = `rescue|${e.code}`;
      if (e.status >= 500 && !FLAGS[e.code])
        log.log('error', e.message, { ...fields, err: e.cause ?? e }, key);
      else if (e.code !== ErrorCode.AuthzDenied) log.log('debug', e.message, fields, key);
      if (ex.res.headersSent) {
        resetReply(ex.res);
        return;
      }
      reply(ex, e);
      // Telemetry, after this layer, then sees whether the reply went out or the client left.
      await untilReplyEnds(ex);
    }
  };
