// Which routes apply to one call: a client in namespace N calling Service S on
// port P (GEP-1426). A route attaches to S through a parentRef naming S, with no
// port (every port) or port P. Producer routes (in S's namespace) apply to every
// caller; consumer routes (in another namespace) apply only to callers in their
// own namespace, and where a caller has any, they replace the producer routes
// for it (the groups are not merged). Where GRPCRoutes and HTTPRoutes both
// attach, the GRPCRoutes apply (GEP-1426 route type specificity).
import type { CompiledRoute, RouteKind } from './types.js';

export interface Call {
  readonly callerNamespace: string;
  readonly service: { readonly namespace: string; readonly name: string };
  readonly port: number;
}

export interface Selection {
  readonly kind: RouteKind;
  readonly scope: 'producer' | 'consumer';
  readonly routes: readonly CompiledRoute[];
}

export function attaches(r: CompiledRoute, c: Call): boolean {
  return r.parents.some(
    (p) =>
      p.attached &&
      p.namespace === c.service.namespace &&
      p.name === c.service.name &&
      (p.port === undefined || p.port === c.port),
  );
}

/** The routes for this call, or undefined: no route, the Service as it is. */
export function selectRoutes(all: readonly CompiledRoute[], c: Call): Selection | undefined {
  const attached = all.filter((r) => r.valid && attaches(r, c));
  const consumer = attached.filter(
    (r) => r.namespace === c.callerNamespace && r.namespace !== c.service.namespace,
  );
  const scope = consumer.length > 0 ? 'consumer' : 'producer';
  const group =
    scope === 'consumer' ? consumer : attached.filter((r) => r.namespace === c.service.namespace);
  if (group.length === 0) return undefined;
  const grpc = group.filter((r) => r.kind === 'GRPCRoute');
  return grpc.length > 0
    ? { kind: 'GRPCRoute', scope, routes: grpc }
    : { kind: 'HTTPRoute', scope, routes: group };
}
