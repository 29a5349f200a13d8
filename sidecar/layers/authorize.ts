// Inbound authorization per request: the verified peer (or none, for plaintext),
// the addresses and the request line against the AuthorizationPolicies that select
// this pod. It sits after the peer is verified (the listener did that) and before
// forward; the policies are read per request, so a change applies to connections
// already open. A denial is a typed error: the rescue layer answers it as Envoy's
// RBAC filter does (403 `RBAC: access denied`; gRPC PERMISSION_DENIED).
import type { AuthzRequest } from '../../src/authz/index.js';
import { ErrorCode, WeftError } from '../../src/errors.js';
import { normalizeTarget } from '../../src/http/normalize-path.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Authorizer } from '../authz.js';
import type { ConnectionInfo, Exchange, Layer, ProxyRequest } from '../exchange.js';
import { authorityOf, isHttp2Request } from '../exchange.js';

/** Node reports IPv4 peers on dual-stack sockets as `::ffff:a.b.c.d`. */
export const plainIp = (a: string): string => (a.startsWith('::ffff:') ? a.slice(7) : a);

/** The connection's part of a request: who (verified, or absent), from where, to where. */
export function connectionRequest(conn: ConnectionInfo): AuthzRequest {
  return {
    // Only a verified peer has a principal; a plaintext client never matches one.
    source: {
      ...(conn.peerIdentity ? { principal: conn.peerIdentity } : {}),
      ip: plainIp(conn.remoteAddress),
    },
    destination: { ip: plainIp(conn.destination.address), port: conn.destination.port },
    ...(conn.sni ? { sni: conn.sni } : {}),
  };
}

export function requestOf(ex: Exchange): AuthzRequest {
  // Not `{ ...connectionRequest(), http }`: a spread followed by more properties is
  // ~40x slower to build on Node 20's V8 (src/routes/plan.ts), on every request.
  const http = {
    method: ex.req.method ?? '',
    path: ex.req.url ?? '',
    host: authorityOf(ex.req),
    headers: ex.req.headers,
  };
  return Object.assign(connectionRequest(ex.conn), { http });
}

/**
 * Makes the request what is authorized and what is forwarded alike: an origin-form
 * target (or `OPTIONS *`) with its path normalised as Istio's BASE option does,
 * written back to `req.url`, which both forwarders send (HTTP/1 target, h2 `:path`).
 * An absolute-form target, or an h2 request whose `host` and `:authority` differ
 * (RFC 9113 §8.3.1), is refused: policy and app could read different requests.
 */
export function canonicalize(req: ProxyRequest): void {
  const raw = req.url ?? '';
  const target = raw === '*' && req.method !== 'OPTIONS' ? undefined : normalizeTarget(raw);
  if (target === undefined) {
    throw new WeftError(ErrorCode.BadRequest, 'request target must be an origin-form path');
  }
  if (isHttp2Request(req)) {
    const { host, ':authority': authority } = req.headers;
    if (host !== undefined && authority !== undefined && host !== authority) {
      throw new WeftError(ErrorCode.BadRequest, 'host and :authority differ');
    }
  }
  req.url = target;
}

export const authorize =
  (authorizer: Authorizer, mesh: () => MeshIndex): Layer =>
  (next) =>
  (ex) => {
    const { conn, req } = ex;
    canonicalize(req);
    const summary = {
      peer: conn.peerIdentity,
      source: conn.remoteAddress,
      port: conn.destination.port,
      method: req.method,
      path: req.url,
    };
    ex.authz = authorizer.decide(mesh().authz, requestOf(ex), summary);
    if (!ex.authz.allow) throw new WeftError(ErrorCode.AuthzDenied, 'RBAC: access denied');
    return next(ex);
  };
