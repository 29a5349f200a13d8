// The order in which matches are tried, the spec's precedence made into sort keys.
// HTTPRoute (httproute_types.go, HTTPRouteRule.matches): an Exact path, then the
// longest PathPrefix, then a method, then most header matches, then most query
// param matches. RegularExpression paths are implementation-specific: weft ranks
// them after every prefix, longest pattern first, as Istio does (so a catch-all
// `/` prefix still wins over a regex; write a longer prefix or an Exact path).
// GRPCRoute (grpcroute_types.go): most characters in a matching service, then
// method, then most header matches (hostnames carry no meaning in a mesh,
// GEP-1426). Ties: the oldest route, then `namespace/name`, then rule order.
import type { CompiledMatch, CompiledRoute, CompiledRule } from './types.js';

const PATH_RANK = { Exact: 0, PathPrefix: 1, RegularExpression: 2 } as const;

/** Lower sorts first. */
export function httpRank(m: Omit<CompiledMatch, 'rank' | 'index'>): number[] {
  const path = m.path ?? { type: 'PathPrefix' as const, value: '/' };
  return [
    PATH_RANK[path.type],
    -path.value.length,
    m.method ? 0 : 1,
    -m.headers.length,
    -m.queryParams.length,
  ];
}

export function grpcRank(serviceChars: number, methodChars: number, headers: number): number[] {
  return [-serviceChars, -methodChars, -headers];
}

export interface Entry {
  readonly route: CompiledRoute;
  readonly rule: CompiledRule;
  readonly match: CompiledMatch;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const ta = Date.parse(a.creationTimestamp);
  const tb = Date.parse(b.creationTimestamp);
  if (ta !== tb) return (Number.isNaN(ta) ? Infinity : ta) - (Number.isNaN(tb) ? Infinity : tb);
  const na = `${a.namespace}/${a.name}`;
  const nb = `${b.namespace}/${b.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export function compareEntries(a: Entry, b: Entry): number {
  return (
    compareRanks(a.match.rank, b.match.rank) ||
    compareRoutes(a.route, b.route) ||
    a.rule.index - b.rule.index ||
    a.match.index - b.match.index
  );
}
