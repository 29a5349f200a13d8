// A request prepared once per evaluation: the peer identity split into the
// parts rules name, the path without its query, addresses parsed on first use.
import { parseAddress } from './ip-match.js';
import type { AuthzRequest, RequestContext } from './types.js';

const SPIFFE = /^spiffe:\/\/([^/]+\/ns\/([^/]+)\/sa\/([^/]+))$/;

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const end = q < 0 ? h : h < 0 ? q : Math.min(q, h);
  return end < 0 ? path : path.slice(0, end);
}

interface Peer {
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
  readonly serviceAccount: string | undefined;
}

const NO_PEER: Peer = { principal: undefined, namespace: undefined, serviceAccount: undefined };

// A connection's requests carry the same SPIFFE ID: the last one parsed is kept.
let lastId: string | undefined;
let lastPeer: Peer = NO_PEER;

function peerOf(spiffeId: string | undefined): Peer {
  if (spiffeId === undefined) return NO_PEER;
  if (spiffeId === lastId) return lastPeer;
  const id = SPIFFE.exec(spiffeId);
  // Only a SPIFFE ID of weft's shape is an identity; anything else counts as none.
  lastPeer = id
    ? { principal: id[1], namespace: id[2], serviceAccount: `${id[2]}/${id[3]}` }
    : NO_PEER;
  lastId = spiffeId;
  return lastPeer;
}

type Which = 'source' | 'remote' | 'destination';

function addressText(req: AuthzRequest, which: Which): string {
  if (which === 'source') return req.source.ip;
  if (which === 'remote') return req.source.remoteIp ?? req.source.ip;
  return req.destination.ip;
}

export function prepare(req: AuthzRequest): RequestContext {
  const peer = peerOf(req.source.principal);
  // Parsed on first use (most policies never look at addresses); null: not an address.
  const ips: Partial<Record<Which, Uint8Array | null>> = {};
  return {
    req,
    tcp: req.http === undefined,
    principal: peer.principal,
    namespace: peer.namespace,
    serviceAccount: peer.serviceAccount,
    path: req.http ? stripQuery(req.http.path) : undefined,
    host: req.http?.host,
    ip(which) {
      let ip = ips[which];
      if (ip === undefined) ip = ips[which] = parseAddress(addressText(req, which)) ?? null;
      return ip ?? undefined;
    },
  };
}
