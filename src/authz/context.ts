// A request prepared once per evaluation: the peer identity split into the
// parts rules name, the path without its query, addresses parsed on first use.
import { parseAddress } from './ip-match.js';
import type { AuthzRequest, RequestContext } from './types.js';

const SPIFFE = /^spiffe:\/\/([^/]+\/ns\/([^/]+)\/sa\/([^/]+))$/;

function stripQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

export function prepare(req: AuthzRequest): RequestContext {
  const id = req.source.principal ? SPIFFE.exec(req.source.principal) : null;
  const ips = new Map<string, Uint8Array | undefined>();
  return {
    req,
    tcp: req.http === undefined,
    // Only a SPIFFE ID of weft's shape is an identity; anything else counts as none.
    principal: id?.[1],
    namespace: id?.[2],
    serviceAccount: id ? `${id[2]}/${id[3]}` : undefined,
    path: req.http ? stripQuery(req.http.path) : undefined,
    host: req.http?.host,
    ip(which) {
      if (!ips.has(which)) {
        const text =
          which === 'source'
            ? req.source.ip
            : which === 'remote'
              ? (req.source.remoteIp ?? req.source.ip)
              : req.destination.ip;
        ips.set(which, parseAddress(text));
      }
      return ips.get(which);
    },
  };
}
