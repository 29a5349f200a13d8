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
// stored now. Other controllers' entries are kept as they are (mergeRouteParents).
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';
import type { CompiledRoute, RouteKind, RouteObject, StatusWorld } from '../src/routes/index.js';
import { GRPC_ROUTE, HTTP_ROUTE, compileRoute, routeStatus } from '../src/routes/index.js';
import { mergeRouteParents } from './route-status-merge.js';

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

/** metadata.creationTimestamp as RFC 3339, whether the client gave a string or a Date. */
export function timestamp(v: unknown): string {
  if (typeof v === 'string') return v;
  return v instanceof Date ? v.toISOString() : '';
}

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

export class RouteStatusWriter {
  private readonly compiled = new WeakMap<RouteObject, CompiledRoute>();
  /** Route → the resourceVersion this replica wrote over: the cache's copy is stale. */
  private readonly superseded = new Map<string, string>();
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly limited: LimitedLogger;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly source: RouteStatusSource,
    private readonly log: Logger,
    private readonly opts: { readonly now?: () => Date; readonly retryMs?: number } = {},
  ) {
    this.limited = limitLogger(log);
  }

  /**
   * Recomputes every route's status and writes what differs; one pass at a time, and
   * a call during a pass runs one more after it. Resolves when no pass is left.
   */
  reconcile(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const failed = await this.pass().catch((err: unknown) => {
        this.log.error('route status pass failed', { err });
        return true;
      });
      if (failed && !this.retry && !this.stopped) {
        // Nothing else may change for a while: try the failed writes again on a timer.
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.reconcile();
        }, this.opts.retryMs ?? 5_000).unref();
      }
    }
  }

  private async pass(): Promise<boolean> {
    const world = this.source.world((this.opts.now?.() ?? new Date()).toISOString());
    let failed = false;
    const live = new Set<string>();
    for (const stored of [...this.source.routes()]) {
      const key = keyOf(stored.route);
      live.add(key);
      if (this.superseded.get(key) === stored.resourceVersion) continue;
      this.superseded.delete(key);
      if (!(await this.sync(stored, world))) failed = true;
    }
    for (const key of this.superseded.keys()) if (!live.has(key)) this.superseded.delete(key);
    return failed;
  }

  private compile(r: RouteObject): CompiledRoute {
    let c = this.compiled.get(r);
    if (!c) {
      c = compileRoute(r);
      this.compiled.set(r, c);
    }
    return c;
  }

  /** Writes one route's status if it differs; false when the write failed (retried later). */
  private async sync(stored: StoredRoute, world: StatusWorld): Promise<boolean> {
    let current = stored;
    for (let attempt = 0; attempt < 3; attempt++) {
      const compiled = this.compile(current.route);
      const merged = mergeRouteParents(current.status?.parents, routeStatus(compiled, world));
      if (!merged.changed) return true;
      try {
        await this.write(current, merged.parents);
        this.superseded.set(keyOf(current.route), current.resourceVersion);
        this.report(compiled, merged.parents);
        return true;
      } catch (err) {
        if (isNotFound(err)) return true; // deleted meanwhile: nothing to say
        if (!isConflict(err)) {
          this.limited.warn(
            'route status not written',
            { route: keyOf(current.route), err },
            keyOf(current.route),
          );
          return false;
        }
        // Another replica (or controller) wrote first: decide again from what is stored.
        const fresh = await this.read(current.route).catch(() => undefined);
        if (!fresh) return false;
        current = fresh;
      }
    }
    return false;
  }

  private async read(r: RouteObject): Promise<StoredRoute | undefined> {
    const { group, version, plural } = routeApi(r.kind);
    const o = (await this.api.getNamespacedCustomObjectStatus({
      group,
      version,
      plural,
      namespace: r.namespace,
      name: r.name,
    })) as RouteResourceObject;
    return storedRoute(r.kind, o);
  }

  private async write(stored: StoredRoute, parents: unknown[]): Promise<void> {
    const r = stored.route;
    const { group, version, plural, kind } = routeApi(r.kind);
    // A status PUT takes only `status` from the body; resourceVersion makes it a
    // compare-and-swap against the route as this replica last saw it.
    await this.api.replaceNamespacedCustomObjectStatus({
      group,
      version,
      plural,
      namespace: r.namespace,
      name: r.name,
      body: {
        apiVersion: `${group}/${version}`,
        kind,
        metadata: { namespace: r.namespace, name: r.name, resourceVersion: stored.resourceVersion },
        status: { ...stored.status, parents },
      },
    });
  }

  /** One rate-limited line per route that is not fully in force (its author can trigger it). */
  private report(compiled: CompiledRoute, parents: unknown[]): void {
    if (compiled.valid && compiled.problems.length === 0) return;
    const key = keyOf(compiled);
    this.limited.warn(
      'route not fully accepted',
      { route: key, problems: compiled.problems.slice(0, 8), parents: parents.length },
      key,
    );
  }
}
