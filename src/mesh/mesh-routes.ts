// The HTTPRoutes and GRPCRoutes in a mesh config, compiled once per config change
// (never per request) with the same src/routes functions the plugin uses. A route
// that does not compile is never an error here: compileRoute drops the rules it
// cannot apply and names them; the sidecar logs those problems once per route
// version (routeVersionKey). The table for one call (this namespace calling a
// Service port) is built on first use and kept with the config, so a request
// pays only for matchRequest.
import { buildTable, compileRoute, selectRoutes } from '../routes/index.js';
import type { CompiledRoute, Problem, RouteTable } from '../routes/index.js';
import type { RouteEntry } from './config.js';
import { contentHash } from './view.js';

export interface CallRoutes {
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly table: RouteTable;
}

export interface RouteProblems {
  /** `kind/namespace/name@generation`: a new version is a new key. */
  readonly key: string;
  readonly route: string;
  readonly problems: readonly Problem[];
}

export interface MeshRoutes {
  readonly compiled: readonly CompiledRoute[];
  /** The routes for a call to `service` on `port`; undefined: none, the Service as it is. */
  forCall(
    service: { readonly namespace: string; readonly name: string },
    port: number,
  ): CallRoutes | undefined;
  /** Routes with refused parts, for the sidecar to log once per version. */
  readonly problems: readonly RouteProblems[];
  /** Each compiled route by version (routeVersionKey), for the next config to reuse. */
  readonly byVersion: ReadonlyMap<string, CompiledRoute>;
  /** May `route` not send to this Service? (its entry's refusedBackends: no ReferenceGrant) */
  refused(
    route: CompiledRoute,
    backend: { readonly namespace: string; readonly name: string },
  ): boolean;
}

/**
 * A route's version: its generation and creation time, and a hash of its spec.
 * Generation and creation time alone do not tell a route deleted and made again
 * under the same name within one second (creationTimestamp has seconds, and both
 * are generation 1) from the old one: the conformance suite does exactly that
 * (MeshFrontend's `mesh-split-v1`, then MeshPorts' with another parent), and the
 * old compiled route stayed in force. The spec decides what is compiled, so it is
 * in the key.
 */
export function routeVersionKey(e: RouteEntry): string {
  const spec = contentHash(JSON.stringify(e.spec) ?? '');
  return `${e.kind}/${e.namespace}/${e.name}@${e.generation ?? '-'}@${e.creationTimestamp}@${spec}`;
}

/**
 * Compiles the config's routes; a route version the previous config compiled is
 * taken from it, so an endpoint change (most of discovery's updates) compiles nothing.
 */
export function compileRoutes(
  entries: readonly RouteEntry[],
  selfNamespace: string,
  previous?: MeshRoutes,
): MeshRoutes {
  const byVersion = new Map<string, CompiledRoute>();
  const keys = entries.map(routeVersionKey);
  const compiled = entries.map((e, i) => {
    const c = previous?.byVersion.get(keys[i]!) ?? compileRoute(e);
    byVersion.set(keys[i]!, c);
    return c;
  });
  // Per config, not per compiled route: a grant can change without the route changing.
  const refusedBy = new Map<CompiledRoute, ReadonlySet<string>>();
  entries.forEach((e, i) => {
    if (e.refusedBackends?.length) refusedBy.set(compiled[i]!, new Set(e.refusedBackends));
  });
  const problems = compiled.flatMap((r, i) =>
    r.problems.length > 0
      ? [{ key: keys[i]!, route: `${r.namespace}/${r.name}`, problems: r.problems }]
      : [],
  );
  // Keys come from the config's own Services and ports, so the cache is bounded by it.
  const tables = new Map<string, CallRoutes | null>();
  return {
    compiled,
    problems,
    byVersion,
    refused: (route, b) => refusedBy.get(route)?.has(`${b.namespace}/${b.name}`) ?? false,
    forCall(service, port) {
      if (compiled.length === 0) return undefined;
      const key = `${service.namespace}/${service.name}:${port}`;
      let t = tables.get(key);
      if (t === undefined) {
        const s = selectRoutes(compiled, { callerNamespace: selfNamespace, service, port });
        t = s ? { kind: s.kind, table: buildTable(s.routes) } : null;
        tables.set(key, t);
      }
      return t ?? undefined;
    },
  };
}
