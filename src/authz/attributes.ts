// The request attributes a rule can name, as Istio names them, each with how to
// read it from a prepared request and whether it needs HTTP or a verified peer.
import type { RequestContext } from './types.js';

export interface Attribute<T> {
  /** Istio's attribute name, for explanations (`source.principal`, `request.method`...). */
  readonly name: string;
  readonly httpOnly: boolean;
  /** Derived from the peer certificate: absent on plaintext. */
  readonly peer: boolean;
  get(ctx: RequestContext): T | undefined;
  /** The value as text, for explanations. */
  show(ctx: RequestContext): string | undefined;
}

function text(
  name: string,
  get: (ctx: RequestContext) => string | undefined,
  flags: { httpOnly?: boolean; peer?: boolean } = {},
): Attribute<string> {
  return { name, httpOnly: !!flags.httpOnly, peer: !!flags.peer, get, show: get };
}

function address(name: string, which: 'source' | 'remote' | 'destination'): Attribute<Uint8Array> {
  const raw = (ctx: RequestContext): string | undefined =>
    which === 'source'
      ? ctx.req.source.ip
      : which === 'remote'
        ? (ctx.req.source.remoteIp ?? ctx.req.source.ip)
        : ctx.req.destination.ip;
  return { name, httpOnly: false, peer: false, get: (ctx) => ctx.ip(which), show: raw };
}

export const ATTRIBUTES = {
  principal: text('source.principal', (c) => c.principal, { peer: true }),
  namespace: text('source.namespace', (c) => c.namespace, { peer: true }),
  serviceAccount: text('source.serviceAccount', (c) => c.serviceAccount, { peer: true }),
  sourceIp: address('source.ip', 'source'),
  remoteIp: address('remote.ip', 'remote'),
  destinationIp: address('destination.ip', 'destination'),
  port: text('destination.port', (c) => String(c.req.destination.port)),
  sni: text('connection.sni', (c) => c.req.sni),
  host: text('request.host', (c) => c.host, { httpOnly: true }),
  method: text('request.method', (c) => c.req.http?.method, { httpOnly: true }),
  path: text('request.path', (c) => c.path, { httpOnly: true }),
} as const;

/** request.headers[name]: several values are joined with "," (as Envoy's header matcher sees them). */
export function headerAttribute(name: string): Attribute<string> {
  const lower = name.toLowerCase();
  return text(
    `request.headers[${name}]`,
    (c) => {
      const v = c.req.http?.headers[lower];
      return typeof v === 'string' || v === undefined ? v : v.join(',');
    },
    { httpOnly: true },
  );
}
