// One rule of an HTTPRoute or GRPCRoute → a CompiledRule, or undefined with its
// problems recorded (the rule is dropped; the rest of the route still applies).
import type { z } from 'zod';
import { backendFilters, backendRef, compileFilters } from './compile-filters.js';
import type { RuleSink } from './compile-filters.js';
import { compileGrpcMatch, compileHttpMatch } from './compile-match.js';
import { parseDuration } from './duration.js';
import { prefixTest } from './path-match.js';
import { httpRank } from './precedence.js';
import type { GrpcRouteRule, HttpRouteRule } from './schema.js';
import { GrpcRouteRule as GrpcRuleSchema, HttpRouteRule as HttpRuleSchema } from './schema.js';
import type { CompiledMatch, CompiledRule, Problem, RouteKind } from './types.js';
import { zodProblems } from './zod-problems.js';

/** A rule without matches matches every request: PathPrefix "/" (HTTP), anything (gRPC). */
function implicitMatch(kind: RouteKind): CompiledMatch {
  if (kind === 'GRPCRoute')
    return { index: -1, grpc: {}, headers: [], queryParams: [], rank: [0, 0, 0] };
  const base = {
    path: { type: 'PathPrefix' as const, value: '/', test: prefixTest('/') },
    headers: [],
    queryParams: [],
  };
  return { ...base, index: -1, rank: httpRank(base) };
}

function duration(s: RuleSink, field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === undefined)
    s.problem(field, `"${v}" is not a Gateway API duration (e.g. 500ms, 1m30s)`);
  return ms;
}

function timeouts(s: RuleSink, field: string, r: HttpRouteRule): CompiledRule['timeouts'] {
  const request = duration(s, `${field}.timeouts.request`, r.timeouts?.request);
  const backendRequest = duration(
    s,
    `${field}.timeouts.backendRequest`,
    r.timeouts?.backendRequest,
  );
  if (
    request &&
    backendRequest !== undefined &&
    (backendRequest === 0 || backendRequest > request)
  ) {
    s.problem(
      `${field}.timeouts.backendRequest`,
      'backendRequest timeout cannot be longer than request timeout',
    );
  }
  return {
    ...(request !== undefined ? { request } : {}),
    ...(backendRequest !== undefined ? { backendRequest } : {}),
  };
}

function retry(s: RuleSink, field: string, r: HttpRouteRule): CompiledRule['retry'] {
  if (!r.retry) return undefined;
  const backoffMs = duration(s, `${field}.retry.backoff`, r.retry.backoff);
  return {
    codes: [...new Set(r.retry.codes ?? [])],
    ...(r.retry.attempts !== undefined ? { attempts: r.retry.attempts } : {}),
    ...(backoffMs !== undefined ? { backoffMs } : {}),
  };
}

function backends(
  s: RuleSink,
  field: string,
  refs: HttpRouteRule['backendRefs'],
): CompiledRule['backends'] {
  return (refs ?? []).map((b, i) => ({
    ...backendRef(s, `${field}.backendRefs[${i}]`, b),
    ...(b.filters?.length
      ? backendFilters(s, `${field}.backendRefs[${i}].filters`, b.filters)
      : {}),
  }));
}

function compileHttp(s: RuleSink, field: string, r: HttpRouteRule, index: number): CompiledRule {
  const matches = r.matches?.length
    ? r.matches.map((m, i) => compileHttpMatch(s, `${field}.matches[${i}]`, m, i))
    : [implicitMatch('HTTPRoute')];
  return {
    index,
    name: r.name,
    matches,
    filters: compileFilters(s, `${field}.filters`, r.filters ?? [], matches),
    backends: backends(s, field, r.backendRefs),
    timeouts: timeouts(s, field, r),
    retry: retry(s, field, r),
  };
}

function compileGrpc(s: RuleSink, field: string, r: GrpcRouteRule, index: number): CompiledRule {
  const matches = r.matches?.length
    ? r.matches.map((m, i) => compileGrpcMatch(s, `${field}.matches[${i}]`, m, i))
    : [implicitMatch('GRPCRoute')];
  return {
    index,
    name: r.name,
    matches,
    filters: compileFilters(s, `${field}.filters`, r.filters ?? [], matches),
    backends: backends(s, field, r.backendRefs),
    timeouts: {},
  };
}

/** The rule compiled, or its problems (never both). */
export function compileRule(
  kind: RouteKind,
  namespace: string,
  raw: unknown,
  index: number,
): { rule: CompiledRule } | { problems: Problem[] } {
  const field = `spec.rules[${index}]`;
  const schema: z.ZodType = kind === 'HTTPRoute' ? HttpRuleSchema : GrpcRuleSchema;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { problems: zodProblems(field, parsed.error) };
  const problems: Problem[] = [];
  const s: RuleSink = {
    namespace,
    problem: (f, message, reason = 'UnsupportedValue') =>
      problems.push({ field: f, reason, message }),
  };
  const rule =
    kind === 'HTTPRoute'
      ? compileHttp(s, field, parsed.data as HttpRouteRule, index)
      : compileGrpc(s, field, parsed.data as GrpcRouteRule, index);
  return problems.length > 0 ? { problems } : { rule };
}
