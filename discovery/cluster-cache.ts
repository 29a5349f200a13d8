// The objects discovery builds views from, kept current by one watch per kind
// (never one per sidecar): Services, EndpointSlices, Pods, PeerAuthentications and
// AuthorizationPolicies, TrafficPolicies; and, where the cluster has the Gateway API, HTTPRoutes,
// GRPCRoutes and ReferenceGrants (route-watches.ts).
// Every change marks the cache dirty and schedules one debounced flush: 100 ms
// after the last event, at most 10 s after the first (Istio's debounce), so a
// burst of pod churn becomes one rebuild.
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import type {
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  V1EndpointSlice,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import type { PolicyObject } from '../src/authz/index.js';
import { AUTHORIZATION_POLICY } from '../src/authz/index.js';
import { watchObjects } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';
import type { ClusterObjects } from '../src/mesh/build-view.js';
import { keyOf } from '../src/mesh/build-view.js';
import type {
  PeerAuthentication,
  PeerAuthenticationObject,
} from '../src/mesh/peer-authentication.js';
import { PEER_AUTHENTICATION, parsePeerAuthentication } from '../src/mesh/peer-authentication.js';
import type { DiscoveryConfig } from './config.js';
import type { DiscoveryMetrics } from './metrics.js';
import type { ReferenceGrant } from './route-world.js';
import type { StoredRoute } from './route-status.js';
import { RouteWatches } from './route-watches.js';
import { TRAFFIC_POLICY } from '../src/traffic/index.js';
import type { StoredTrafficPolicy, TrafficPolicyResource } from './traffic-status.js';
import { storedTrafficPolicy } from './traffic-status.js';
import { slimMetadata, slimPod } from './slim.js';

export interface AuthorizationPolicyObject extends KubernetesObject {
  spec?: unknown;
}

export class ClusterCache implements ClusterObjects {
  readonly services = new Map<string, V1Service>();
  readonly slices = new Map<string, V1EndpointSlice>();
  readonly pods = new Map<string, V1Pod>();
  readonly peerAuthentications = new Map<string, PeerAuthentication>();
  /** AuthorizationPolicies as stored (spec unchecked: compiled when views are built). */
  readonly authorizationPolicies = new Map<string, PolicyObject>();
  /** Called with each AuthorizationPolicy object added or changed (the status writer). */
  readonly authorizationPolicyObservers: ((o: AuthorizationPolicyObject) => void)[] = [];
  /** TrafficPolicies as stored (spec unchecked: compiled by the sidecars and the status writer). */
  readonly trafficPolicies = new Map<string, StoredTrafficPolicy>();
  /** Pod keys by pod IP, for the identity check at connect time. */
  readonly podsByIp = new Map<string, Set<string>>();
  readonly trustDomain: string;
  readonly rootNamespace: string;

  /** Every watch by the kind it lists, so the streams can wait until all have listed. */
  private readonly watches = new Map<string, Watch>();
  /** The Gateway API kinds, watched only where installed (never in unlisted()). */
  private routeWatches: RouteWatches | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstPending = 0;
  private readonly limited: LimitedLogger;

  constructor(
    private readonly config: DiscoveryConfig,
    private readonly metrics: DiscoveryMetrics,
    private readonly log: Logger,
    /** Called after the debounce with every change since the last call. */
    private readonly onFlush: () => void,
  ) {
    this.trustDomain = config.trustDomain;
    this.rootNamespace = config.rootNamespace;
    this.limited = limitLogger(log);
  }

  /** HTTPRoutes and GRPCRoutes by `<Kind>/<ns>/<name>`; empty without the Gateway API. */
  get routes(): ReadonlyMap<string, StoredRoute> {
    return this.routeWatches?.routes ?? new Map<string, StoredRoute>();
  }

  /** ReferenceGrants by `ns/name`; empty without the Gateway API. */
  get referenceGrants(): ReadonlyMap<string, ReferenceGrant> {
    return this.routeWatches?.grants ?? new Map<string, ReferenceGrant>();
  }

  async start(kc: KubeConfig): Promise<void> {
    this.routeWatches = new RouteWatches(kc, this.config.gatewayApiPollMs, this.log, {
      changed: (kind, apply) => this.changed(kind, apply),
      health: (kind) => this.healthOf(kind),
    });
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const { group, version, plural } = PEER_AUTHENTICATION;
    await Promise.all([
      this.watch(kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), this.services),
      this.watch(
        kc,
        '/apis/discovery.k8s.io/v1/endpointslices',
        () => discovery.listEndpointSliceForAllNamespaces(),
        this.slices,
      ),
      this.watchPods(kc, () => core.listPodForAllNamespaces()),
      this.watchPolicies(
        kc,
        `/apis/${group}/${version}/${plural}`,
        () =>
          custom.listClusterCustomObject({ group, version, plural }) as Promise<
            KubernetesListObject<KubernetesObject & PeerAuthenticationObject>
          >,
      ),
      this.watchAuthorizationPolicies(kc, custom),
      this.watchTrafficPolicies(kc, custom),
      this.routeWatches.start(),
    ]);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([
      ...[...this.watches.values()].map((w) => w.stop()),
      this.routeWatches?.stop(),
    ]);
  }

  /**
   * The kinds not yet listed once. Until this is empty a view would be built from half
   * the cluster: a sidecar could get no AuthorizationPolicies because their list failed
   * (CRD missing, RBAC), and enforce nothing. Discovery serves no stream until then.
   * The Gateway API kinds are not among them: they are optional, and a view without
   * routes is the Service as it is, not a hole in security. Where the CRDs exist at
   * start-up their first list still comes before the first view (start() awaits it).
   */
  unlisted(): string[] {
    return [...this.watches].filter(([, w]) => !w.listed()).map(([kind]) => kind);
  }

  /** The Gateway API kinds the cluster serves have all listed once (route status waits for it). */
  routesListed(): boolean {
    return this.routeWatches?.listed() ?? false;
  }

  /**
   * The kinds whose watch has failed for longer than `graceMs` with no relist succeeding
   * since (API server gone, RBAC revoked, CRD deleted), and for how long. The view keeps
   * their last objects: sidecars must not lose config because the control plane is blind.
   */
  failing(graceMs: number, now = Date.now()): { kind: string; forMs: number }[] {
    return [...this.watches, ...(this.routeWatches?.watched() ?? [])]
      .map(([kind, w]) => ({ kind, since: w.failingSince() }))
      .filter((x): x is { kind: string; since: number } => x.since !== undefined)
      .map(({ kind, since }) => ({ kind, forMs: now - since }))
      .filter((x) => x.forMs >= graceMs);
  }

  // A list that succeeds (first, or after a failed one) counts as a change even when it
  // holds nothing: the rebuild after it is what completes the view (see unlisted()).
  private track(kind: string, watch: Watch): void {
    this.watches.set(kind, watch);
    this.healthOf(kind)(watch.failingSince() === undefined);
  }

  private healthOf(kind: string): (healthy: boolean) => void {
    return (healthy) => this.metrics.informerHealthy.set({ kind }, healthy ? 1 : 0);
  }

  private async watch<T extends KubernetesObject>(
    kc: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    into: Map<string, T>,
  ): Promise<void> {
    const kind = path.slice(path.lastIndexOf('/') + 1);
    this.track(
      kind,
      await watchObjects<T>({
        kc,
        path,
        list,
        log: this.log,
        onHealth: this.healthOf(kind),
        onListed: () => this.changed(kind, () => undefined),
        onObject: (o) => this.changed(kind, () => into.set(keyOf(o), slimMetadata(o))),
        onDelete: (o) => this.changed(kind, () => into.delete(keyOf(o))),
      }),
    );
  }

  private async watchPods(
    kc: KubeConfig,
    list: () => Promise<KubernetesListObject<V1Pod>>,
  ): Promise<void> {
    const index = (pod: V1Pod, add: boolean): void => {
      const key = keyOf(pod);
      const ips = new Set([pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)]);
      for (const ip of ips) {
        if (!ip) continue;
        const set = this.podsByIp.get(ip) ?? new Set<string>();
        if (add) set.add(key);
        else set.delete(key);
        if (set.size) this.podsByIp.set(ip, set);
        else this.podsByIp.delete(ip);
      }
    };
    this.track(
      'pods',
      await watchObjects<V1Pod>({
        kc,
        path: '/api/v1/pods',
        list,
        log: this.log,
        onHealth: this.healthOf('pods'),
        onListed: () => this.changed('pods', () => undefined),
        onObject: (pod) =>
          this.changed('pods', () => {
            slimPod(pod);
            const old = this.pods.get(keyOf(pod));
            if (old) index(old, false);
            this.pods.set(keyOf(pod), pod);
            index(pod, true);
          }),
        onDelete: (pod) =>
          this.changed('pods', () => {
            const old = this.pods.get(keyOf(pod));
            if (old) index(old, false);
            this.pods.delete(keyOf(pod));
          }),
      }),
    );
  }

  private async watchPolicies(
    kc: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<KubernetesObject & PeerAuthenticationObject>>,
  ): Promise<void> {
    this.track(
      'peerauthentications',
      await watchObjects({
        kc,
        path,
        list,
        log: this.log,
        onHealth: this.healthOf('peerauthentications'),
        onListed: () => this.changed('peerauthentications', () => undefined),
        onObject: (o) =>
          this.changed('peerauthentications', () => {
            slimMetadata(o);
            const parsed = parsePeerAuthentication(o);
            if ('policy' in parsed) this.peerAuthentications.set(keyOf(o), parsed.policy);
            else {
              // Ignored as if absent (Istio rejects it at admission; we have no webhook for it).
              this.peerAuthentications.delete(keyOf(o));
              this.limited.warn(
                'PeerAuthentication ignored',
                { reason: parsed.error },
                parsed.error,
              );
            }
          }),
        onDelete: (o) =>
          this.changed('peerauthentications', () => this.peerAuthentications.delete(keyOf(o))),
      }),
    );
  }

  private async watchAuthorizationPolicies(
    kc: KubeConfig,
    custom: CustomObjectsApi,
  ): Promise<void> {
    const { group, version, plural } = AUTHORIZATION_POLICY;
    const asPolicy = (o: AuthorizationPolicyObject): PolicyObject => ({
      namespace: o.metadata?.namespace ?? '',
      name: o.metadata?.name ?? '',
      spec: o.spec ?? {},
      annotations: o.metadata?.annotations ?? {},
    });
    this.track(
      plural,
      await watchObjects<AuthorizationPolicyObject>({
        kc,
        path: `/apis/${group}/${version}/${plural}`,
        list: () =>
          custom.listClusterCustomObject({ group, version, plural }) as Promise<
            KubernetesListObject<AuthorizationPolicyObject>
          >,
        log: this.log,
        onHealth: this.healthOf(plural),
        onListed: () => this.changed(plural, () => undefined),
        onObject: (o) => {
          this.changed(plural, () => this.authorizationPolicies.set(keyOf(o), asPolicy(o)));
          for (const observe of this.authorizationPolicyObservers) observe(o);
        },
        onDelete: (o) => this.changed(plural, () => this.authorizationPolicies.delete(keyOf(o))),
      }),
    );
  }

  /**
   * TrafficPolicies: weft's own CRD, in the default install like PeerAuthentication,
   * so required like it (no view is served until they are listed): a view built
   * before them would stream weft's defaults, and a caller would drop a fault or a
   * pool limit, then take it up again, on every control-plane restart.
   */
  private async watchTrafficPolicies(kc: KubeConfig, custom: CustomObjectsApi): Promise<void> {
    const { group, version, plural } = TRAFFIC_POLICY;
    this.track(
      plural,
      await watchObjects<TrafficPolicyResource>({
        kc,
        path: `/apis/${group}/${version}/${plural}`,
        list: () =>
          custom.listClusterCustomObject({ group, version, plural }) as Promise<
            KubernetesListObject<TrafficPolicyResource>
          >,
        log: this.log,
        onHealth: this.healthOf(plural),
        onListed: () => this.changed(plural, () => undefined),
        onObject: (o) =>
          this.changed(plural, () =>
            this.trafficPolicies.set(keyOf(o), storedTrafficPolicy(slimMetadata(o))),
          ),
        onDelete: (o) => this.changed(plural, () => this.trafficPolicies.delete(keyOf(o))),
      }),
    );
  }

  private changed(kind: string, apply: () => void): void {
    apply();
    this.metrics.events.inc({ kind });
    const now = Date.now();
    if (!this.timer) this.firstPending = now;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.min(
      this.config.debounceMs,
      this.firstPending + this.config.debounceMaxMs - now,
    );
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        try {
          this.onFlush();
        } catch (err) {
          // A view that cannot be built keeps the last one in force; the next change retries.
          this.log.error('discovery rebuild failed; sidecars keep their views', { err });
        }
      },
      Math.max(0, wait),
    );
  }
}
