// A request against the selected routes: every match of every rule, in the spec's
// precedence (precedence.ts), the first that holds wins. Built once per change of
// routes (buildTable), run per request (matchRequest). Exact paths are indexed: a
// request tries only the Exact matches of its own path, with every other match,
// still in precedence order (a hundred Exact rules cost one lookup, not a hundred
// tests: the bench:sidecar route row's 98 misses were 3 % of the client's samples).
import { compareEntries } from './precedence.js';
import type { Entry } from './precedence.js';
import { pathOf, queryOf } from './path-match.js';
import { headerValue } from './string-match.js';
import type { CompiledMatch, CompiledRoute, RouteMatch, RouteRequest } from './types.js';

export interface RouteTable {
  /** Every match, in precedence order. */
  readonly entries: readonly Entry[];
  /** Positions in `entries` of the Exact path matches, by path. */
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** Positions in `entries` of every other match, ascending. */
  readonly others: readonly number[];
}

export function buildTable(routes: readonly CompiledRoute[]): RouteTable {
  const entries: Entry[] = [];
  for (const route of routes) {
    if (!route.valid) continue;
    for (const rule of route.rules)
      for (const match of rule.matches) entries.push({ route, rule, match });
  }
  entries.sort(compareEntries);
  const exact = new Map<string, number[]>();
  const others: number[] = [];
  entries.forEach((e, i) => {
    const path = e.match.path;
    if (path?.type !== 'Exact') return void others.push(i);
    const list = exact.get(path.value);
    if (list) list.push(i);
    else exact.set(path.value, [i]);
  });
  return { entries, exact, others };
}

/** What a match looks at, taken from the request once. */
class Prepared {
  readonly path: string;
  private params: URLSearchParams | undefined;
  private grpc: { service: string; method: string } | null | undefined;
  constructor(readonly req: RouteRequest) {
    this.path = pathOf(req.path);
  }
  query(name: string): string | undefined {
    this.params ??= new URLSearchParams(queryOf(this.req.path).slice(1));
    return this.params.get(name) ?? undefined;
  }
  /** `/package.Service/Method` → its parts; null when the path is not a gRPC method. */
  grpcMethod(): { service: string; method: string } | null {
    if (this.grpc !== undefined) return this.grpc;
    const m = /^\/([^/]+)\/([^/]+)$/.exec(this.path);
    this.grpc = m ? { service: m[1]!, method: m[2]! } : null;
    return this.grpc;
  }
}

function grpcHolds(m: CompiledMatch, p: Prepared): boolean {
  if (!m.grpc || (!m.grpc.service && !m.grpc.method)) return true;
  const g = p.grpcMethod();
  if (!g) return false;
  return (
    (!m.grpc.service || m.grpc.service(g.service)) && (!m.grpc.method || m.grpc.method(g.method))
  );
}

function holds(m: CompiledMatch, p: Prepared): boolean {
  if (m.path && !m.path.test(p.path)) return false;
  if (m.method !== undefined && m.method !== p.req.method) return false;
  for (const h of m.headers) {
    const v = headerValue(p.req.headers[h.name]);
    if (v === undefined || !h.test(v)) return false;
  }
  for (const q of m.queryParams) {
    const v = p.query(q.name);
    if (v === undefined || !q.test(v)) return false;
  }
  return grpcHolds(m, p);
}

const NONE: readonly number[] = [];

/** The winning route, rule and match; undefined: no rule matches (the spec's 404). */
export function matchRequest(table: RouteTable, req: RouteRequest): RouteMatch | undefined {
  const p = new Prepared(req);
  const { entries, others } = table;
  const exact = table.exact.get(p.path) ?? NONE;
  // The two ascending lists merged: the candidates in precedence order.
  let i = 0;
  let j = 0;
  while (i < exact.length || j < others.length) {
    const at = j >= others.length || (i < exact.length && exact[i]! < others[j]!);
    const e = entries[at ? exact[i++]! : others[j++]!]!;
    if (holds(e.match, p)) return e;
  }
  return undefined;
}
