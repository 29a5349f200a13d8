// `kubectl weft route-check`: what the caller's sidecar does with one request,
// from the functions it runs (compileRoute → selectRoutes → buildTable →
// matchRequest → planRequest). Where the sidecar draws a random number (a
// weighted split, a mirror's percentage) the answer lists every outcome with its
// probability instead: each backend is planned on its own, so its backend-level
// header filters show too. Pure: the cluster's objects in, the view (-o json) out.
import {
  buildTable,
  compileRoute,
  matchRequest,
  planRequest,
  selectRoutes,
} from '../../src/routes/index.js';
import type { Plan, RouteMatch, Selection } from '../../src/routes/index.js';
import {
  backendName,
  describeFilter,
  describeMatch,
  resilienceOf,
  shares,
} from './route-describe.js';
import type { HeaderModifier } from '../../src/routes/schema.js';
import type { Caller, CheckedRequest } from './route-check-request.js';
import type { StoredRoute } from './routes-cluster.js';

type Headers = Record<string, string | readonly string[] | undefined>;
type Forward = Extract<Plan, { type: 'forward' }>;

export interface HeaderChanges {
  /** Headers whose value the route set, added to, or created. */
  readonly set: Record<string, string>;
  readonly removed: string[];
}

export interface RouteCheckView {
  readonly caller: { namespace: string; pod: string | null };
  readonly request: { method: string; url: string; host: string; headers: Headers };
  readonly service: { namespace: string; name: string; port: number };
  /** The group of routes the caller gets; null: none attaches. */
  readonly routes: {
    kind: string;
    scope: 'producer' | 'consumer';
    namespace: string;
    names: string[];
  } | null;
  readonly outcome: 'no-route' | 'no-match' | 'forward' | 'redirect' | 'error';
  /** The status the sidecar answers itself with (redirect, 404, 500); null when it forwards. */
  readonly status: number | null;
  readonly match: {
    kind: string;
    route: string;
    rule: number;
    ruleName: string | null;
    match: number;
    matches: string;
  } | null;
  readonly filters: string[];
  readonly location?: string;
  readonly why?: string;
  /** forward: the request target and Host after the filters (host null: not rewritten). */
  readonly target?: string;
  readonly host?: string | null;
  readonly headers?: HeaderChanges;
  /** ResponseHeaderModifiers applied on the way back, in order. */
  readonly responseHeaders?: HeaderModifier[];
  readonly backends?: {
    backend: string;
    weight: number;
    probability: number;
    /** Only where the backendRef's own filters change the request or response. */
    headers?: HeaderChanges;
    responseHeaders?: HeaderModifier;
  }[];
  readonly mirrors?: { backend: string; probability: number }[];
  readonly timeouts?: { request?: string; backendRequest?: string };
  readonly retry?: { attempts?: number; codes: number[]; backoff?: string } | null;
}

export interface RouteCheckInput {
  readonly caller: Caller;
  readonly request: CheckedRequest;
  readonly routes: readonly StoredRoute[];
}

const flat = (v: string | readonly string[] | undefined): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : v.join(',');

export function headerChanges(before: Readonly<Headers>, after: Readonly<Headers>): HeaderChanges {
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(after)) {
    const now = flat(v);
    if (now !== undefined && now !== flat(before[k])) set[k] = now;
  }
  const removed = Object.keys(before).filter(
    (k) => before[k] !== undefined && after[k] === undefined,
  );
  return { set, removed };
}

const noChange = (c: HeaderChanges): boolean =>
  Object.keys(c.set).length === 0 && c.removed.length === 0;

/** Never called for a single-backend plan's split; mirrors fire when their percentage is above 0. */
const firstDraw = (): number => 0;

function forwardDetail(m: RouteMatch, base: Forward, ctx: Parameters<typeof planRequest>[1]) {
  const rule = m.rule;
  const backends = shares(rule.backends).map(({ ref, share }) => {
    const entry = { backend: backendName(ref), weight: ref.weight, probability: share };
    if (!ref.requestHeaders && !ref.responseHeaders) return entry;
    // The same plan with only this backend: its own header filters applied.
    const one = planRequest({ ...m, rule: { ...rule, backends: [ref] } }, ctx, firstDraw);
    const own = one.type === 'forward' ? headerChanges(base.headers, one.headers) : undefined;
    return {
      ...entry,
      ...(own && !noChange(own) ? { headers: own } : {}),
      ...(ref.responseHeaders ? { responseHeaders: ref.responseHeaders } : {}),
    };
  });
  return {
    target: base.target,
    host: base.host ?? null,
    headers: headerChanges(ctx.headers, base.headers),
    responseHeaders: [...base.responseHeaders],
    backends,
    mirrors: rule.filters.flatMap((f) =>
      f.type === 'RequestMirror'
        ? [{ backend: backendName(f.mirror.backend), probability: f.mirror.fraction }]
        : [],
    ),
    ...resilienceOf(rule),
  };
}

/** The rule's plan before a backend is picked: its filters on the request, backends stripped of theirs. */
function rulePlan(m: RouteMatch, ctx: Parameters<typeof planRequest>[1]): Plan {
  const plain = m.rule.backends.map((b) => ({
    ...b,
    requestHeaders: undefined,
    responseHeaders: undefined,
  }));
  const first = plain.find((b) => b.weight > 0);
  // One weighted backend stands for all: what differs per backend is added by forwardDetail.
  const backends = first ? [first] : plain;
  return planRequest({ ...m, rule: { ...m.rule, backends } }, ctx, firstDraw);
}

function matched(m: RouteMatch, specs: ReadonlyMap<string, unknown>) {
  const key = `${m.route.kind}/${m.route.namespace}/${m.route.name}`;
  return {
    kind: m.route.kind,
    route: `${m.route.namespace}/${m.route.name}`,
    rule: m.rule.index,
    ruleName: m.rule.name ?? null,
    match: m.match.index,
    matches: describeMatch(m.route.kind, specs.get(key), m.rule.index, m.match.index),
  };
}

function group(sel: Selection | undefined): RouteCheckView['routes'] {
  if (!sel) return null;
  return {
    kind: sel.kind,
    scope: sel.scope,
    namespace: sel.routes[0]?.namespace ?? '',
    names: sel.routes.map((r) => `${r.namespace}/${r.name}`).sort(),
  };
}

export function routeCheck(input: RouteCheckInput): RouteCheckView {
  const req = input.request;
  const svc = req.service;
  const compiled = input.routes.map((s) => compileRoute(s.object));
  const sel = selectRoutes(compiled, {
    callerNamespace: input.caller.namespace,
    service: svc,
    port: req.port,
  });
  const head = {
    caller: { namespace: input.caller.namespace, pod: input.caller.pod ?? null },
    request: {
      method: req.method,
      url: `${req.scheme}://${svc.name}.${svc.namespace}:${req.port}${req.target}`,
      host: req.host,
      headers: req.headers,
    },
    service: { namespace: svc.namespace, name: svc.name, port: req.port },
    routes: group(sel),
  };
  if (!sel) return { ...head, outcome: 'no-route', status: null, match: null, filters: [] };
  const m = matchRequest(buildTable(sel.routes), {
    method: req.method,
    path: req.target,
    headers: req.headers,
  });
  if (!m) return { ...head, outcome: 'no-match', status: 404, match: null, filters: [] };
  const specs = new Map(
    input.routes.map((s) => [
      `${s.object.kind}/${s.object.namespace}/${s.object.name}`,
      s.object.spec,
    ]),
  );
  const at = { ...head, match: matched(m, specs), filters: m.rule.filters.map(describeFilter) };
  const ctx = {
    scheme: 'http' as const,
    host: req.host,
    target: req.target,
    port: req.port,
    headers: req.headers,
  };
  const plan = rulePlan(m, ctx);
  if (plan.type === 'redirect')
    return { ...at, outcome: 'redirect', status: plan.status, location: plan.location };
  if (plan.type === 'error') return { ...at, outcome: 'error', status: 500, why: plan.why };
  return { ...at, outcome: 'forward', status: null, ...forwardDetail(m, plan, ctx) };
}
