// Gateway API routes for the mesh (GAMMA): HTTPRoute and GRPCRoute as pure data
// and a matcher, shared by the sidecar, discovery and the plugin.
export { GRPC_ROUTE, HTTP_ROUTE, REFERENCE_GRANT } from './schema.js';
export type {
  BackendRef,
  CompiledRoute,
  CompiledRule,
  Problem,
  RouteKind,
  RouteMatch,
  RouteObject,
  RouteRequest,
} from './types.js';
export { compileRoute, isServiceRef } from './compile.js';
export { selectRoutes } from './select.js';
export type { Call, Selection } from './select.js';
export { buildTable, matchRequest } from './match.js';
export type { RouteTable } from './match.js';
export { planRequest } from './plan.js';
export type { Plan, PlanRequest } from './plan.js';
export { modifyHeaders, pickBackend, redirect, rewriteTarget, mirrors } from './filters.js';
export { CONTROLLER_NAME, routeStatus } from './status.js';
export type { Condition, RouteParentStatus, StatusWorld } from './status.js';
export { compileRegex } from './regex.js';
