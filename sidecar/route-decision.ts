// What a route rule makes of one outbound request, before any I/O: the routes for
// the Service and port the app called (compiled with the config), the winning
// rule (src/routes' matcher) and its plan, with the picked backend resolved to a
// Service in the mesh. The routes layer acts on the answer; this file only decides.
import type { MeshIndex, Target } from '../src/mesh/mesh-index.js';
import type { Random } from '../src/random.js';
import { matchRequest, planRequest } from '../src/routes/index.js';
import type { CompiledRoute, Plan } from '../src/routes/index.js';
import type { ForwardPlan, ProxyRequest, RoutedBy } from './exchange.js';
import { authorityOf } from './exchange.js';

export type RouteDecision =
  /** No route attaches to the Service and port (or the app called one pod): as before. */
  | { readonly type: 'none' }
  /** Routes attach, and no rule matches: the spec's 404. */
  | { readonly type: 'no-match' }
  | {
      readonly type: 'redirect';
      readonly by: RoutedBy;
      readonly status: number;
      readonly location: string;
    }
  /** The spec's 500: no backend to send to, or a backendRef the mesh cannot resolve. */
  | { readonly type: 'error'; readonly by: RoutedBy; readonly why: string }
  | {
      readonly type: 'forward';
      readonly by: RoutedBy;
      readonly plan: ForwardPlan;
      /** The backend Service and port: what balance balances over. */
      readonly target: Target;
    };

const routedBy = (p: Plan): RoutedBy => ({ route: p.route, rule: p.ruleName ?? p.rule });

/** The picked backendRef as a Service port in the mesh, or why it is not one. */
function backendTarget(mesh: MeshIndex, route: CompiledRoute, plan: ForwardPlan): Target | string {
  const b = plan.backend;
  const name = `${b.namespace}/${b.name}`;
  if (b.group !== '' || b.kind !== 'Service') return `backend ${name} is not a Service`;
  if (mesh.routes.refused(route, b)) {
    return `backend ${name}: no ReferenceGrant in ${b.namespace} allows this route to use it`;
  }
  if (b.port === undefined) return `backend ${name} has no port`;
  return mesh.service(b.namespace, b.name, b.port) ?? `backend ${name}:${b.port} not found`;
}

/** The plan without mirrors to Services the route may not use (no copy goes there). */
function permittedMirrors(mesh: MeshIndex, route: CompiledRoute, plan: ForwardPlan): ForwardPlan {
  if (!plan.mirrors.some((m) => mesh.routes.refused(route, m))) return plan;
  return { ...plan, mirrors: plan.mirrors.filter((m) => !mesh.routes.refused(route, m)) };
}

export function decideRoute(
  mesh: MeshIndex,
  called: Target,
  req: ProxyRequest,
  random: Random,
): RouteDecision {
  if (called.endpoint) return { type: 'none' };
  const routes = mesh.routes.forCall(called.service, called.port.port);
  if (!routes) return { type: 'none' };
  const request = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
  const match = matchRequest(routes.table, request);
  if (!match) return { type: 'no-match' };
  const plan = planRequest(
    match,
    {
      scheme: 'http',
      host: authorityOf(req),
      target: request.path,
      port: called.port.port,
      headers: req.headers,
    },
    random,
  );
  const by = routedBy(plan);
  if (plan.type === 'redirect')
    return { type: 'redirect', by, status: plan.status, location: plan.location };
  if (plan.type === 'error') return { type: 'error', by, why: plan.why };
  const target = backendTarget(mesh, match.route, plan);
  if (typeof target === 'string') return { type: 'error', by, why: target };
  return { type: 'forward', by, plan: permittedMirrors(mesh, match.route, plan), target };
}
