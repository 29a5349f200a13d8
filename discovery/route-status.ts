// status.parents of HTTPRoutes and GRPCRoutes with a Service parent, written by the
// control plane: one entry per Service parentRef (controllerName weft.dev/mesh,
// parentRef as written) with Accepted, ResolvedRefs and, when rules were dropped,
// PartiallyInvalid, as src/routes' routeStatus computes them against the Services
// and ReferenceGrants discovery watches. Recomputed after every rebuild, so a
// backend Service appearing or going away, or a grant, changes the status too.
//
// Every replica runs this, so it must not fight: a write happens only when weft's
// entries differ from the stored ones (transition times aside), with the stored
// resourceVersion, and a 409 re-reads the route and decides again from what is
// stored now (StatusWriter). Other controllers' entries are kept as they are
// (mergeRouteParents). Failed writes are tried again on a timer, and a route this
// replica just wrote is skipped until the cache brings the new version
// (StatusReconciler).
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../src/log.js';
import type { CompiledRoute, RouteKind, RouteObject, StatusWorld } from '../src/routes/index.js';
import { GRPC_ROUTE, HTTP_ROUTE, compileRoute, routeStatus } from '../src/routes/index.js';
import { mergeRouteParents } from './route-status-merge.js';
import type { StatusPass } from './status-reconciler.js';
import { StatusReconciler } from './status-reconciler.js';
import type { NextStatus, StatusKind } from './status-writer.js';
import { timestamp } from './timestamp.js';
import { weakMemo } from './weak-memo.js';

/** A route as discovery keeps it: the matcher's envelope, and what a status write needs. */
export interface StoredRoute {
  readonly route: RouteObject;
  readonly resourceVersion: string;
  /** `status` as stored (parents of every controller). */
  readonly status: { readonly parents?: unknown } | undefined;
}

export interface RouteResourceObject extends KubernetesObject {
  spec?: unknown;
  status?: { parents?: unknown };
}

export const routeApi = (kind: RouteKind): typeof HTTP_ROUTE | typeof GRPC_ROUTE =>
  kind === 'HTTPRoute' ? HTTP_ROUTE : GRPC_ROUTE;

/** An HTTPRoute or GRPCRoute object as the API server gives it → what discovery keeps. */
export function storedRoute(kind: RouteKind, o: RouteResourceObject): StoredRoute {
  const meta = o.metadata ?? {};
  return {
    route: {
      kind,
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
      creationTimestamp: timestamp(meta.creationTimestamp),
      ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
      spec: o.spec ?? {},
    },
    resourceVersion: meta.resourceVersion ?? '',
    status: o.status,
  };
}

export interface RouteStatusSource {
  routes(): Iterable<StoredRoute>;
  /** Services and grants as of now; `now` is the transition time of a changed condition. */
  world(now: string): StatusWorld;
}

const keyOf = (r: Pick<RouteObject, 'kind' | 'namespace' | 'name'>): string =>
  `${r.kind}/${r.namespace}/${r.name}`;

const ROUTE_KIND: StatusKind<StoredRoute> = {
  noun: 'route',
  field: 'route',
  key: (s) => keyOf(s.route),
  target: (s) => {
    const { group, version, plural, kind } = routeApi(s.route.kind);
    const { namespace, name } = s.route;
    return { group, version, plural, kind, namespace, name, resourceVersion: s.resourceVersion };
  },
  // status.parents is shared with other controllers, and nothing else may bring the
  // route again soon: on a 409 decide again from what is stored now.
  reread: (stored, was) => storedRoute(was.route.kind, stored as RouteResourceObject),
};

/** weft's parent entries merged into the stored ones; a warning when not fully in force. */
function nextStatus(stored: StoredRoute, compiled: CompiledRoute, world: StatusWorld): NextStatus {
  const merged = mergeRouteParents(stored.status?.parents, routeStatus(compiled, world));
  const inForce = compiled.valid && compiled.problems.length === 0;
  return {
    changed: merged.changed,
    status: { ...stored.status, parents: merged.parents },
    // One rate-limited line per route that is not fully in force (its author can trigger it).
    ...(inForce
      ? {}
      : {
          warning: {
            msg: 'route not fully accepted',
            fields: {
              route: keyOf(compiled),
              problems: compiled.problems.slice(0, 8),
              parents: merged.parents.length,
            },
          },
        }),
  };
}

export class RouteStatusWriter extends StatusReconciler<StoredRoute> {
  private readonly compile = weakMemo(compileRoute);

  constructor(
    api: CustomObjectsApi,
    private readonly source: RouteStatusSource,
    log: Logger,
    private readonly opts: { readonly now?: () => Date; readonly retryMs?: number } = {},
  ) {
    super(api, ROUTE_KIND, log, { retryMs: opts.retryMs ?? 5_000, skipWrittenOver: true });
  }

  /** Every route as cached, against the Services and grants as of now. */
  protected snapshot(): StatusPass<StoredRoute> {
    const world = this.source.world((this.opts.now?.() ?? new Date()).toISOString());
    return {
      objects: [...this.source.routes()],
      next: (s) => nextStatus(s, this.compile(s.route), world),
    };
  }
}
