// `kubectl weft route-check`'s answer in the terms of a row of src/routes/cases.ts,
// so the CLI can be held to the table the matcher is tested by. Where the CLI
// lists every backend and mirror with its probability (it never draws), the
// row's scripted random draws are replayed over that list exactly as planRequest
// draws them (one per mirror below 100 %, in filter order, then one for the split),
// so a wrong weight or percentage in the CLI's answer changes the outcome.
import type { RouteCheckView } from '../../cli/plugin/route-check-model.js';
import type { RouteCase } from '../../src/routes/cases.js';
import { modifyHeaders } from '../../src/routes/index.js';
import type { HeaderModifier } from '../../src/routes/schema.js';

type Headers = Record<string, string | readonly string[] | undefined>;
type Outcome = { outcome: string } & Record<string, unknown>;

/** `ns/name:port` → `name`, as the table names backends. */
const bare = (backend: string): string => backend.replace(/^.*\//, '').replace(/:\d+$/, '');

function draws(values: readonly number[] = []): () => number {
  let i = 0;
  return () => values[i++] ?? 0.5;
}

function pick(backends: NonNullable<RouteCheckView['backends']>, draw: number) {
  const total = backends.reduce((n, b) => n + b.weight, 0);
  let point = draw * total;
  for (const b of backends) {
    if (point < b.weight) return b;
    point -= b.weight;
  }
  return backends.filter((b) => b.weight > 0).at(-1);
}

function applied(base: Headers, set: Record<string, string>, removed: readonly string[]): Headers {
  const out: Headers = { ...base, ...set };
  for (const k of removed) delete out[k];
  return out;
}

function only(h: Headers, names: object): Record<string, unknown> {
  return Object.fromEntries(Object.keys(names).map((k) => [k, h[k]]));
}

type Backend = NonNullable<RouteCheckView['backends']>[number] | undefined;

/** The request and response headers the picked backend ends up with, as the row names them. */
function headerOutcome(v: RouteCheckView, want: Record<string, unknown>, backend: Backend) {
  const got: Record<string, unknown> = {};
  if (want.headers) {
    const rule = applied(v.request.headers, v.headers?.set ?? {}, v.headers?.removed ?? []);
    const own = backend?.headers;
    got.headers = only(own ? applied(rule, own.set, own.removed) : rule, want.headers);
  }
  if (want.responseHeaders) {
    const mods: HeaderModifier[] = [
      ...(v.responseHeaders ?? []),
      ...(backend?.responseHeaders ? [backend.responseHeaders] : []),
    ];
    const resp = mods.reduce<Headers>((h, m) => modifyHeaders(h, m), {});
    got.responseHeaders = only(resp, want.responseHeaders);
  }
  return got;
}

function forwardOutcome(
  v: RouteCheckView,
  want: Record<string, unknown>,
  random: readonly number[] | undefined,
  rename: (s: string) => string,
): Outcome {
  const draw = draws(random);
  const mirrors = (v.mirrors ?? []).filter((m) => m.probability >= 1 || draw() < m.probability);
  const backend = pick(v.backends ?? [], draw());
  const m = v.match;
  const all: Record<string, unknown> = {
    route: m && rename(m.route),
    rule: m?.rule,
    ruleName: m?.ruleName ?? undefined,
    target: v.target,
    host: v.host ?? undefined,
    mirrors: mirrors.map((x) => bare(x.backend)),
  };
  const asked = Object.fromEntries(
    Object.keys(all).flatMap((k) => (k in want ? [[k, all[k]]] : [])),
  );
  return {
    outcome: 'forward',
    backend: backend ? bare(backend.backend) : undefined,
    ...asked,
    ...headerOutcome(v, want, backend),
  };
}

export function asTableOutcome(
  v: RouteCheckView,
  c: Pick<RouteCase, 'expect' | 'random'>,
  rename: (s: string) => string = (s) => s,
): Outcome {
  const want = c.expect as Record<string, unknown>;
  switch (v.outcome) {
    case 'no-route':
      return { outcome: 'no-routes' };
    case 'no-match':
      return { outcome: 'no-match' };
    case 'error':
      return { outcome: 'error', status: v.status };
    case 'redirect':
      return {
        outcome: 'redirect',
        status: v.status,
        location: v.location,
        ...('route' in want ? { route: rename(v.match?.route ?? '') } : {}),
      };
    case 'forward':
      return forwardOutcome(v, want, c.random, rename);
  }
}
