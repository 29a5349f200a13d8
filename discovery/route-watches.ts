// The Gateway API kinds discovery reads, watched only where the cluster has them:
// HTTPRoute and GRPCRoute (v1) and ReferenceGrant (v1beta1). The CRDs are optional
// (a user installs them, docs/routing.md), so discovery asks the API server's
// discovery documents whether each is served, at start-up and then every
// --gateway-api-poll-ms (30 s): a cluster without them runs as before (one info
// line says routes are off), and CRDs installed later are watched without a
// restart; CRDs removed stop their watches and take their routes out of the views.
// One watch per kind per replica, like every other kind.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { isNotFound } from '../src/k8s/client.js';
import { watchObjects } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';
import { keyOf } from '../src/mesh/build-view.js';
import { GRPC_ROUTE, HTTP_ROUTE, REFERENCE_GRANT } from '../src/routes/index.js';
import type { ReferenceGrant } from './route-world.js';
import { parseReferenceGrant } from './route-world.js';
import type { RouteResourceObject, StoredRoute } from './route-status.js';
import { storedRoute } from './route-status.js';
import { slimMetadata } from './slim.js';

const KINDS = [HTTP_ROUTE, GRPC_ROUTE, REFERENCE_GRANT] as const;
type Api = (typeof KINDS)[number];
export type GatewayPlural = Api['plural'];

export interface RouteWatchHooks {
  /** Applies a change to the maps and schedules the debounced rebuild. */
  changed(kind: string, apply: () => void): void;
  health(kind: string): (healthy: boolean) => void;
}

export class RouteWatches {
  /** `<Kind>/<ns>/<name>` → the route. */
  readonly routes = new Map<string, StoredRoute>();
  /** `ns/name` → the grant. */
  readonly grants = new Map<string, ReferenceGrant>();
  private readonly watches = new Map<GatewayPlural, Watch>();
  private readonly custom: CustomObjectsApi;
  private readonly limited: LimitedLogger;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private stopped = false;
  private said: 'on' | 'off' | undefined;
  /** The kinds the API server served at the last probe that could ask (see listed()). */
  private served: ReadonlySet<string> = new Set();

  constructor(
    private readonly kc: KubeConfig,
    private readonly pollMs: number,
    private readonly log: Logger,
    private readonly hooks: RouteWatchHooks,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.limited = limitLogger(log);
  }

  /** Probes once (watching what is served, first lists done), then keeps probing. */
  async start(): Promise<void> {
    await this.probe();
    if (this.stopped) return;
    this.timer = setInterval(() => void this.probe(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.probing;
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
    this.watches.clear();
  }

  /**
   * Every kind the API server serves is watched and has listed once. Route status is
   * computed only then: a route that listed before the ReferenceGrants would be
   * marked RefNotPermitted for a grant that exists (the kinds start one by one, and
   * a list can fail and be retried).
   */
  listed(): boolean {
    return [...this.served].every((plural) => this.watches.get(plural as GatewayPlural)?.listed());
  }

  /** The route kinds watched now, with their watches (for failing()). */
  watched(): ReadonlyMap<string, Watch> {
    return this.watches;
  }

  /** One probe at a time: a slow API server must not stack them up. */
  probe(): Promise<void> {
    this.probing ??= this.reconcile().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async reconcile(): Promise<void> {
    const served = await this.servedNow();
    if (!served || this.stopped) return; // unknown: keep what runs, ask again next time
    this.served = served;
    let started = false;
    for (const api of KINDS) {
      const on = served.has(api.plural);
      if (on && !this.watches.has(api.plural)) {
        await this.startWatch(api);
        started = true;
      }
      if (!on && this.watches.has(api.plural)) await this.stopWatch(api);
    }
    // Every new watch is in place: one more rebuild sees them all (listed()).
    if (started) this.hooks.changed('gateway-api', () => undefined);
    this.say(served);
  }

  /** The plurals the API server serves, or undefined when it could not be asked. */
  private async servedNow(): Promise<Set<string> | undefined> {
    const out = new Set<string>();
    for (const version of ['v1', 'v1beta1']) {
      const names = await this.resourcesOf(version);
      if (!names) return undefined;
      const wanted = KINDS.filter((k) => k.version === version).map((k) => k.plural as string);
      for (const n of names) if (wanted.includes(n)) out.add(n);
    }
    return out;
  }

  /** The resources of one version of the group: none when not installed (404). */
  private async resourcesOf(version: string): Promise<string[] | undefined> {
    try {
      const list = await this.custom.getAPIResources({ group: HTTP_ROUTE.group, version });
      return list.resources.map((r) => r.name);
    } catch (err) {
      if (isNotFound(err)) return [];
      this.limited.warn(
        'cannot tell whether the Gateway API is installed; asking again later',
        { err, everyMs: this.pollMs },
        'gateway-api-probe',
      );
      return undefined;
    }
  }

  private say(served: Set<string>): void {
    const routes = served.has(HTTP_ROUTE.plural) || served.has(GRPC_ROUTE.plural);
    const now = routes ? 'on' : 'off';
    if (now === this.said) return;
    if (routes) this.log.info('routes on: watching the Gateway API', { kinds: [...served] });
    else if (this.said === undefined) {
      this.log.info(
        'routes off: the Gateway API CRDs (gateway.networking.k8s.io) are not installed; checking again periodically',
        { everyMs: this.pollMs },
      );
    } else this.log.info('routes off: the Gateway API CRDs were removed');
    this.said = now;
  }

  private async startWatch(api: Api): Promise<void> {
    const { group, version, plural } = api;
    const watch = await watchObjects<RouteResourceObject>({
      kc: this.kc,
      path: `/apis/${group}/${version}/${plural}`,
      list: () =>
        this.custom.listClusterCustomObject({ group, version, plural }) as Promise<
          KubernetesListObject<RouteResourceObject>
        >,
      log: this.log,
      onHealth: this.hooks.health(plural),
      onListed: () => this.hooks.changed(plural, () => undefined),
      onObject: (o) => this.hooks.changed(plural, () => this.put(api, slimMetadata(o))),
      onDelete: (o) => this.hooks.changed(plural, () => this.remove(api, o)),
    });
    if (this.stopped) return void (await watch.stop());
    this.watches.set(plural, watch);
    this.hooks.health(plural)(watch.failingSince() === undefined);
  }

  private async stopWatch(api: Api): Promise<void> {
    const w = this.watches.get(api.plural);
    this.watches.delete(api.plural);
    await w?.stop();
    // The CRD is gone, and every object of it with it.
    this.hooks.changed(api.plural, () => {
      if (api.kind === 'ReferenceGrant') this.grants.clear();
      else
        for (const k of [...this.routes.keys()])
          if (k.startsWith(`${api.kind}/`)) this.routes.delete(k);
    });
  }

  private put(api: Api, o: RouteResourceObject): void {
    if (api.kind === 'ReferenceGrant') this.grants.set(keyOf(o), parseReferenceGrant(o));
    else this.routes.set(`${api.kind}/${keyOf(o)}`, storedRoute(api.kind, o));
  }

  private remove(api: Api, o: KubernetesObject): void {
    if (api.kind === 'ReferenceGrant') this.grants.delete(keyOf(o));
    else this.routes.delete(`${api.kind}/${keyOf(o)}`);
  }
}
