// `kubectl weft routes SVC`: for each port of the Service, the group of routes a
// caller gets (selectRoutes) and every match of it in the order the matcher tries
// them (buildTable), then every route attached to the Service with why it applies
// or not, the problems compileRoute found and the status the control plane wrote.
// Pure: the cluster's objects in, the view (the -o json shape) out.
import { buildTable, compileRoute, isServiceRef, selectRoutes } from '../../src/routes/index.js';
import type { CompiledRoute, Problem, RouteKind, Selection } from '../../src/routes/index.js';
import { attaches } from '../../src/routes/select.js';
import {
  backendName,
  describeFilter,
  describeMatch,
  resilienceOf,
  shares,
} from './route-describe.js';
import type { ServiceInfo, StoredRoute, WrittenParentStatus } from './routes-cluster.js';

export interface RouteLine {
  /** 1-based: the order the matcher tries the matches in. */
  readonly order: number;
  readonly kind: RouteKind;
  readonly route: string;
  readonly rule: number;
  readonly ruleName: string | null;
  /** Index in the rule's matches; -1 for a rule without matches. */
  readonly match: number;
  readonly matches: string;
  readonly filters: string[];
  readonly backends: { backend: string; weight: number; share: number }[];
  readonly timeouts: { request?: string; backendRequest?: string };
  readonly retry: { attempts?: number; codes: number[]; backoff?: string } | null;
}

export interface PortView {
  readonly port: number;
  readonly name: string | null;
  /** The group that applies to the caller; null: no route, the Service as it is. */
  readonly applies: { kind: RouteKind; scope: 'producer' | 'consumer'; namespace: string } | null;
  readonly lines: RouteLine[];
}

export interface RouteReport {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly scope: 'producer' | 'consumer';
  /** The ports its parentRefs to this Service name; 'all' for a parentRef without port. */
  readonly parentPorts: (number | 'all')[];
  /** The ports (of those shown) on which it is in the group the caller gets. */
  readonly appliedOn: number[];
  /** Why it does not apply where it does not, or null. */
  readonly note: string | null;
  readonly valid: boolean;
  readonly droppedRules: number[];
  readonly problems: Problem[];
  readonly warnings: string[];
  /** The control plane's RouteParentStatus entries for this Service; null: none written. */
  readonly status: WrittenParentStatus[] | null;
}

export interface RoutesView {
  readonly service: { namespace: string; name: string };
  /** --from-namespace; null: the producer routes (what a caller without consumer routes gets). */
  readonly callerNamespace: string | null;
  readonly ports: PortView[];
  readonly routes: RouteReport[];
  readonly notes: string[];
}

export interface RoutesInput {
  readonly service: ServiceInfo;
  readonly routes: readonly StoredRoute[];
  readonly callerNamespace?: string | undefined;
  /** --port: only this port. */
  readonly port?: number | undefined;
  readonly notes?: readonly string[];
}

const key = (r: { kind: string; namespace: string; name: string }): string =>
  `${r.kind}/${r.namespace}/${r.name}`;

function lines(sel: Selection, specs: ReadonlyMap<string, unknown>): RouteLine[] {
  return buildTable(sel.routes).entries.map(({ route, rule, match }, i) => ({
    order: i + 1,
    kind: route.kind,
    route: `${route.namespace}/${route.name}`,
    rule: rule.index,
    ruleName: rule.name ?? null,
    match: match.index,
    matches: describeMatch(route.kind, specs.get(key(route)), rule.index, match.index),
    filters: rule.filters.map(describeFilter),
    backends: shares(rule.backends).map((s) => ({
      backend: backendName(s.ref),
      weight: s.ref.weight,
      share: s.share,
    })),
    ...resilienceOf(rule),
  }));
}

function droppedRules(problems: readonly Problem[]): number[] {
  const n = problems.flatMap((p) => {
    const m = /^spec\.rules\[(\d+)\]/.exec(p.field);
    return m ? [Number(m[1])] : [];
  });
  return [...new Set(n)].sort((a, b) => a - b);
}

function writtenFor(s: StoredRoute, svc: ServiceInfo): WrittenParentStatus[] | null {
  const mine = s.status.filter(
    (p) =>
      isServiceRef(p.parentRef) &&
      p.parentRef.name === svc.name &&
      (p.parentRef.namespace ?? s.object.namespace) === svc.namespace,
  );
  return mine.length ? mine : null;
}

interface NoteContext {
  readonly svc: ServiceInfo;
  readonly caller: string;
  readonly selections: ReadonlyMap<number, Selection | undefined>;
}

/** Why the route is not in the caller's group on `port`, or undefined when it is. */
function portReason(r: CompiledRoute, port: number, ctx: NoteContext): string | undefined {
  const sel = ctx.selections.get(port);
  if (!sel || sel.routes.includes(r)) return undefined;
  if (sel.scope === 'consumer' && r.namespace === ctx.svc.namespace)
    return `port ${port}: replaced for callers in ${ctx.caller} by their consumer routes`;
  if (sel.kind === 'GRPCRoute' && r.kind === 'HTTPRoute')
    return `port ${port}: GRPCRoutes attach there and apply instead (GEP-1426)`;
  return undefined;
}

function note(r: CompiledRoute, attachedOn: readonly number[], ctx: NoteContext): string | null {
  if (!r.valid) return 'not applied: no rule of it can be applied (see problems)';
  if (r.namespace !== ctx.svc.namespace && r.namespace !== ctx.caller)
    return `a consumer route: applies only to callers in ${r.namespace}`;
  if (attachedOn.length === 0) return 'attached to none of the ports shown';
  const reasons = attachedOn.flatMap((port) => portReason(r, port, ctx) ?? []);
  return reasons.length ? reasons.join('; ') : null;
}

function report(s: StoredRoute, r: CompiledRoute, ports: readonly number[], ctx: NoteContext) {
  const mine = r.parents.filter(
    (p) => p.namespace === ctx.svc.namespace && p.name === ctx.svc.name,
  );
  const attachedOn = ports.filter((port) =>
    attaches(r, { callerNamespace: ctx.caller, service: ctx.svc, port }),
  );
  return {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    scope: r.namespace === ctx.svc.namespace ? ('producer' as const) : ('consumer' as const),
    parentPorts: mine.map((p) => p.port ?? ('all' as const)),
    appliedOn: attachedOn.filter((p) => ctx.selections.get(p)?.routes.includes(r)),
    note: note(r, attachedOn, ctx),
    valid: r.valid,
    droppedRules: droppedRules(r.problems),
    problems: [...r.problems],
    warnings: [...r.warnings],
    status: writtenFor(s, ctx.svc),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Producer routes first, then consumer routes. */
const order = (r: CompiledRoute, svc: ServiceInfo): number =>
  r.namespace === svc.namespace ? 0 : 1;

export function routesView(input: RoutesInput): RoutesView {
  const svc = input.service;
  const caller = input.callerNamespace ?? svc.namespace;
  const ports = svc.ports.filter((p) => input.port === undefined || p.port === input.port);
  const compiled = input.routes.map((s) => ({ s, r: compileRoute(s.object) }));
  const specs = new Map(input.routes.map((s) => [key(s.object), s.object.spec]));
  const all = compiled.map((c) => c.r);
  const selections = new Map(
    ports.map((p) => [
      p.port,
      selectRoutes(all, { callerNamespace: caller, service: svc, port: p.port }),
    ]),
  );
  const ctx: NoteContext = { svc, caller, selections };
  const mine = compiled
    .filter(({ r }) => r.parents.some((p) => p.namespace === svc.namespace && p.name === svc.name))
    .sort((a, b) => order(a.r, svc) - order(b.r, svc) || cmp(key(a.r), key(b.r)));
  return {
    service: { namespace: svc.namespace, name: svc.name },
    callerNamespace: input.callerNamespace ?? null,
    ports: ports.map((p) => {
      const sel = selections.get(p.port);
      return {
        port: p.port,
        name: p.name ?? null,
        applies: sel
          ? { kind: sel.kind, scope: sel.scope, namespace: sel.routes[0]?.namespace ?? '' }
          : null,
        lines: sel ? lines(sel, specs) : [],
      };
    }),
    routes: mine.map(({ s, r }) =>
      report(
        s,
        r,
        ports.map((p) => p.port),
        ctx,
      ),
    ),
    notes: [...(input.notes ?? [])],
  };
}

/** Exit 1 when a route attached to the Service is not fully applied, or its status says False. */
export function routesHealthy(v: RoutesView): boolean {
  return v.routes.every(
    (r) =>
      r.problems.length === 0 &&
      !(r.status ?? []).some((p) => p.conditions.some((c) => c.status === 'False')),
  );
}
