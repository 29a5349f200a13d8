// One HTTPRoute or GRPCRoute match → a CompiledMatch (tests plus precedence rank),
// or the problems that keep it (and so its rule) from being applied.
import { prefixTest } from './path-match.js';
import { grpcRank, httpRank } from './precedence.js';
import type { GrpcRouteMatch, HttpRouteMatch } from './schema.js';
import { stringTest } from './string-match.js';
import type { CompiledMatch, HeaderTest, Problem, StringTest } from './types.js';

export interface MatchSink {
  problem(field: string, message: string): void;
}

type Named = { type?: 'Exact' | 'RegularExpression' | undefined; name: string; value: string };

/** The first entry of each name counts, later ones are ignored (the spec's rule). */
function namedTests(
  s: MatchSink,
  field: string,
  list: readonly Named[],
  fold: boolean,
): HeaderTest[] {
  const seen = new Set<string>();
  const out: HeaderTest[] = [];
  list.forEach((h, i) => {
    const name = fold ? h.name.toLowerCase() : h.name;
    if (seen.has(name)) return;
    seen.add(name);
    const t = stringTest(h.type, h.value);
    if (typeof t === 'function') out.push({ name, test: t });
    else s.problem(`${field}[${i}].value`, t.error);
  });
  return out;
}

function pathMatch(s: MatchSink, field: string, m: HttpRouteMatch): CompiledMatch['path'] {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  if (type !== 'RegularExpression' && !value.startsWith('/')) {
    s.problem(`${field}.path.value`, 'must be an absolute path (start with /)');
  }
  if (type !== 'RegularExpression' && /\/\/|\/\.\.?(\/|$)|%2f|%2F|#|\?/.test(value)) {
    s.problem(`${field}.path.value`, 'must not contain //, /./, /../, %2f, # or ?');
  }
  if (type === 'Exact') return { type, value, test: (p) => p === value };
  if (type === 'PathPrefix') return { type, value, test: prefixTest(value) };
  const t = stringTest('RegularExpression', value);
  if (typeof t !== 'function') {
    s.problem(`${field}.path.value`, t.error);
    return { type, value, test: () => false };
  }
  return { type, value, test: t };
}

export function compileHttpMatch(
  s: MatchSink,
  field: string,
  m: HttpRouteMatch,
  index: number,
): CompiledMatch {
  const base = {
    path: pathMatch(s, field, m),
    ...(m.method ? { method: m.method } : {}),
    headers: namedTests(s, `${field}.headers`, m.headers ?? [], true),
    queryParams: namedTests(s, `${field}.queryParams`, m.queryParams ?? [], false),
  };
  return { ...base, index, rank: httpRank(base) };
}

const GRPC_SERVICE = /^\.?[a-zA-Z_][a-zA-Z_0-9]*(\.[a-zA-Z_][a-zA-Z_0-9]*)*$/;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

function grpcPart(
  s: MatchSink,
  field: string,
  exact: boolean,
  value: string | undefined,
): StringTest | undefined {
  if (value === undefined || value === '') return undefined;
  const syntax = field.endsWith('service') ? GRPC_SERVICE : GRPC_METHOD;
  if (exact && !syntax.test(value)) s.problem(field, `"${value}" is not a valid gRPC name`);
  const t = stringTest(exact ? 'Exact' : 'RegularExpression', value);
  if (typeof t === 'function') return t;
  s.problem(field, t.error);
  return () => false;
}

export function compileGrpcMatch(
  s: MatchSink,
  field: string,
  m: GrpcRouteMatch,
  index: number,
): CompiledMatch {
  const method = m.method ?? {};
  const exact = (method.type ?? 'Exact') === 'Exact';
  if (m.method && !method.service && !method.method) {
    s.problem(`${field}.method`, "one or both of 'service' or 'method' must be specified");
  }
  const service = grpcPart(s, `${field}.method.service`, exact, method.service);
  const name = grpcPart(s, `${field}.method.method`, exact, method.method);
  const headers = namedTests(s, `${field}.headers`, m.headers ?? [], true);
  return {
    index,
    grpc: { ...(service ? { service } : {}), ...(name ? { method: name } : {}) },
    headers,
    queryParams: [],
    rank: grpcRank(method.service?.length ?? 0, method.method?.length ?? 0, headers.length),
  };
}

export type { Problem };
