// HTTPRoutes and GRPCRoutes → the view's `route/<kind>/<ns>/<name>` resources. Pure:
// discovery keeps the routes its informers see and calls this on every (debounced)
// rebuild. Every route with at least one Service parentRef (GAMMA) reaches every
// sidecar, spec as stored: the sidecar compiles it with src/routes and applies what
// is valid, so a bad route is never left out nor NACKed. Routes whose parents are
// only Gateways belong to an ingress implementation and are left out. A route that
// names Services in other namespaces without a ReferenceGrant carries them as
// `refusedBackends` (the caller decides which): the sidecar answers 500 for them.
import { isServiceRef } from '../routes/index.js';
import type { RouteObject } from '../routes/index.js';
import type { Resource } from './view.js';
import { routeKey, withVersion } from './view.js';

/** One resource per route object: an unchanged route keeps its resource (no rehash). */
const built = new WeakMap<RouteObject, { readonly refused: string; readonly res: Resource }>();

/** The backend Services a route may not send to (`namespace/name`), sorted; none by default. */
export type RefusedBackends = (r: RouteObject) => readonly string[];

/** Does any parentRef name a Service? (The CRD defaults an absent group/kind to a Gateway.) */
export function hasServiceParent(spec: unknown): boolean {
  const refs = (spec as { parentRefs?: unknown } | null | undefined)?.parentRefs;
  if (!Array.isArray(refs)) return false;
  return refs.some((p: unknown) => {
    if (typeof p !== 'object' || p === null) return false;
    const { group, kind } = p as { group?: unknown; kind?: unknown };
    return isServiceRef({
      group: typeof group === 'string' ? group : undefined,
      kind: typeof kind === 'string' ? kind : undefined,
    });
  });
}

function routeResource(r: RouteObject, refusedBackends: readonly string[]): Resource {
  const refused = refusedBackends.join();
  const hit = built.get(r);
  if (hit?.refused === refused) return hit.res;
  const res = withVersion({
    kind: 'route',
    name: routeKey(r.kind, r.namespace, r.name),
    route: {
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      creationTimestamp: r.creationTimestamp,
      ...(r.generation !== undefined ? { generation: r.generation } : {}),
      spec: r.spec ?? {},
      ...(refusedBackends.length ? { refusedBackends: [...refusedBackends] } : {}),
    },
  });
  built.set(r, { refused, res });
  return res;
}

/** Adds a resource for every route with a Service parent to `into` (the shared view). */
export function addRouteResources(
  into: Map<string, Resource>,
  routes: Iterable<RouteObject>,
  refused: RefusedBackends = () => [],
): void {
  for (const r of routes) {
    if (!hasServiceParent(r.spec)) continue;
    const res = routeResource(r, refused(r));
    into.set(res.name, res);
  }
}
