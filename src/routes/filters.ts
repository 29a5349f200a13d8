// The pure halves of the filters: what a header modifier, a rewrite or a redirect
// makes of a request, which backend a weighted split picks, whether a request is
// mirrored. Randomness is injected (src/random.ts), so tests pin it.
import type { Random } from '../random.js';
import { pathOf, queryOf, replacePrefix } from './path-match.js';
import type { HeaderModifier, PathModifier, RequestRedirect, UrlRewrite } from './schema.js';
import type { BackendRef, CompiledMatch, Mirror } from './types.js';

export type Headers = Record<string, string | readonly string[] | undefined>;

/**
 * set replaces, add appends to what is there (joined with ',', as the conformance
 * suite expects), remove drops; names are case-insensitive, results lowercase.
 */
export function modifyHeaders(headers: Readonly<Headers>, mod: HeaderModifier): Headers {
  const out: Headers = { ...headers };
  for (const h of mod.set ?? []) out[h.name.toLowerCase()] = h.value;
  for (const h of mod.add ?? []) {
    const name = h.name.toLowerCase();
    const prev = out[name];
    const joined =
      prev === undefined ? undefined : typeof prev === 'string' ? prev : prev.join(',');
    out[name] = joined === undefined ? h.value : `${joined},${h.value}`;
  }
  for (const name of mod.remove ?? []) delete out[name.toLowerCase()];
  return out;
}

/** The new path for a path modifier: the whole path, or the matched prefix replaced. */
export function modifiedPath(path: string, mod: PathModifier, match: CompiledMatch): string {
  if (mod.type === 'ReplaceFullPath') return mod.replaceFullPath ?? '/';
  // Compile checks ReplacePrefixMatch only sits on rules whose matches are all PathPrefix.
  return replacePrefix(path, match.path?.value ?? '/', mod.replacePrefixMatch ?? '');
}

/** A request target (path and query) after a URLRewrite; the query is kept. */
export function rewriteTarget(target: string, rewrite: UrlRewrite, match: CompiledMatch): string {
  if (!rewrite.path) return target;
  return modifiedPath(pathOf(target), rewrite.path, match) + queryOf(target);
}

/** The Host header's hostname: without its port, brackets kept for IPv6. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

const WELL_KNOWN_PORT = { http: 80, https: 443 } as const;

export interface RedirectContext {
  /** The scheme the client used: `http` for plaintext mesh traffic. */
  readonly scheme: 'http' | 'https';
  /** The Host (or :authority) header. */
  readonly host: string;
  /** The request target: path and query. */
  readonly target: string;
  /** The Service port the client called: the "listener port" of a mesh parent. */
  readonly port: number;
}

/**
 * RequestRedirect's Location and status (httproute_types.go): scheme and hostname
 * default to the request's; the port is the one given, else the scheme's
 * well-known port when the scheme is given, else the port called; the port is
 * left out when it is the scheme's default (http:80, https:443).
 */
export function redirect(
  r: RequestRedirect,
  ctx: RedirectContext,
  match: CompiledMatch,
): { status: number; location: string } {
  const scheme = r.scheme ?? ctx.scheme;
  const host = r.hostname ?? hostnameOf(ctx.host);
  const port = r.port ?? (r.scheme ? WELL_KNOWN_PORT[r.scheme] : ctx.port);
  const showPort = port !== WELL_KNOWN_PORT[scheme];
  const path = r.path ? modifiedPath(pathOf(ctx.target), r.path, match) : pathOf(ctx.target);
  return {
    status: r.statusCode ?? 302,
    location: `${scheme}://${host}${showPort ? `:${port}` : ''}${path}${queryOf(ctx.target)}`,
  };
}

/** A weighted pick; undefined when every weight is 0 (the spec answers 500). */
export function pickBackend(
  backends: readonly BackendRef[],
  random: Random,
): BackendRef | undefined {
  let total = 0;
  for (const b of backends) total += b.weight;
  if (total === 0) return undefined;
  let point = random() * total;
  for (const b of backends) {
    if (point < b.weight) return b;
    point -= b.weight;
  }
  // Only reachable through float rounding at the top end: the last weighted backend.
  return backends.filter((b) => b.weight > 0).at(-1);
}

export function mirrors(m: Mirror, random: Random): boolean {
  return m.fraction >= 1 || random() < m.fraction;
}
