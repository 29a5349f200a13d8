// Routes in words, for `kubectl weft routes` and `route-check`: a match as its
// author wrote it (the compiled form keeps tests, not values, so the raw spec is
// read back), a filter, a backend with its share of a weighted split, a duration.
import { GrpcRouteMatch, HttpRouteMatch } from '../../src/routes/schema.js';
import type { HeaderModifier } from '../../src/routes/schema.js';
import type { BackendRef, RouteKind } from '../../src/routes/index.js';
import type { CompiledFilter, CompiledRule } from '../../src/routes/types.js';

type Named = { type?: string | undefined; name: string; value: string };

function named(prefix: string, list: readonly Named[] | undefined): string[] {
  return (list ?? []).map(
    (h) => `${prefix}${h.name}${h.type === 'RegularExpression' ? '~' : '='}${h.value}`,
  );
}

function rawMatch(spec: unknown, rule: number, match: number): unknown {
  const rules = (spec as { rules?: { matches?: unknown[] }[] } | null)?.rules;
  return rules?.[rule]?.matches?.[match];
}

function grpcMatch(raw: unknown): string {
  const m = GrpcRouteMatch.safeParse(raw);
  if (!m.success) return '?';
  const method = m.data.method;
  const regex = method?.type === 'RegularExpression' ? '~' : '';
  const parts = method ? [`${regex}${method.service ?? '*'}/${method.method ?? '*'}`] : [];
  const all = [...parts, ...named('header ', m.data.headers)];
  return all.length ? all.join(', ') : 'every request';
}

function httpMatch(raw: unknown): string {
  const m = HttpRouteMatch.safeParse(raw);
  if (!m.success) return '?';
  const path = `${m.data.path?.type ?? 'PathPrefix'} ${m.data.path?.value ?? '/'}`;
  return [
    path,
    ...(m.data.method ? [m.data.method] : []),
    ...named('header ', m.data.headers),
    ...named('query ', m.data.queryParams),
  ].join(', ');
}

/** A match as written: `PathPrefix /api, GET, header x-a=1, query v~[0-9]+`. */
export function describeMatch(kind: RouteKind, spec: unknown, rule: number, match: number): string {
  if (match < 0) return kind === 'GRPCRoute' ? 'every request' : 'PathPrefix / (no matches)';
  const raw = rawMatch(spec, rule, match);
  return kind === 'GRPCRoute' ? grpcMatch(raw) : httpMatch(raw);
}

export function describeModifier(m: HeaderModifier): string {
  return [
    ...(m.set ?? []).map((h) => `set ${h.name}: ${h.value}`),
    ...(m.add ?? []).map((h) => `add ${h.name}: ${h.value}`),
    ...(m.remove ?? []).map((n) => `remove ${n}`),
  ].join('; ');
}

/** `ns/name:port`, with the group/kind when it is not a core Service. */
export function backendName(b: BackendRef): string {
  const kind = b.group === '' && b.kind === 'Service' ? '' : `${b.group || 'core'}/${b.kind} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== undefined ? `:${b.port}` : ''}`;
}

function pathModifier(p: { type: string; replaceFullPath?: string; replacePrefixMatch?: string }) {
  return p.type === 'ReplaceFullPath'
    ? `path ${p.replaceFullPath ?? '/'}`
    : `prefix → ${p.replacePrefixMatch ?? ''}`;
}

/** The share of requests as a percentage, at most two decimals: 90%, 33.33%. */
export function percent(p: number): string {
  return `${Math.round(p * 10_000) / 100}%`;
}

export function describeFilter(f: CompiledFilter): string {
  switch (f.type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier':
      return `${f.type} ${describeModifier(f.modifier)}`;
    case 'URLRewrite': {
      const r = f.rewrite;
      const parts = [
        ...(r.hostname ? [`hostname ${r.hostname}`] : []),
        ...(r.path ? [pathModifier(r.path)] : []),
      ];
      return `URLRewrite ${parts.join(', ')}`;
    }
    case 'RequestRedirect': {
      const r = f.redirect;
      const parts = [
        String(r.statusCode ?? 302),
        ...(r.scheme ? [`scheme ${r.scheme}`] : []),
        ...(r.hostname ? [`hostname ${r.hostname}`] : []),
        ...(r.port !== undefined ? [`port ${r.port}`] : []),
        ...(r.path ? [pathModifier(r.path)] : []),
      ];
      return `RequestRedirect ${parts.join(', ')}`;
    }
    case 'RequestMirror':
      return `RequestMirror ${backendName(f.mirror.backend)} ${percent(f.mirror.fraction)}`;
  }
}

/** Milliseconds as a Gateway API duration: 2s, 1m30s, 250ms; 0 means disabled. */
export function duration(ms: number): string {
  if (ms === 0) return '0s (disabled)';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/** Each weighted backend's share of requests (weight/total; 0 for weight 0 or no total). */
export function shares(backends: readonly BackendRef[]): { ref: BackendRef; share: number }[] {
  const total = backends.reduce((n, b) => n + b.weight, 0);
  return backends.map((ref) => ({ ref, share: total === 0 ? 0 : ref.weight / total }));
}

/** A rule's timeouts and retry as both commands print them (-o json: durations as written). */
export function resilienceOf(rule: CompiledRule): {
  timeouts: { request?: string; backendRequest?: string };
  retry: { attempts?: number; codes: number[]; backoff?: string } | null;
} {
  const t = rule.timeouts;
  const r = rule.retry;
  return {
    timeouts: {
      ...(t.request !== undefined ? { request: duration(t.request) } : {}),
      ...(t.backendRequest !== undefined ? { backendRequest: duration(t.backendRequest) } : {}),
    },
    retry: r
      ? {
          ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
          codes: [...r.codes],
          ...(r.backoffMs !== undefined ? { backoff: duration(r.backoffMs) } : {}),
        }
      : null,
  };
}
