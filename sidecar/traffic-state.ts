// What a calling sidecar keeps per Service for its TrafficPolicy (or weft's
// defaults): the retry budget, the connection-pool counters with the requests
// waiting on them, and the outlier detector with its interval sweep. The state
// machines are src/traffic's; this holds one set per Service and keeps it across
// config pushes that leave the Service's policy alone (an endpoint change must
// not forget ejections nor refill the budget), starting afresh when the policy
// version changes.
import type { LimitedLogger } from '../src/log-limit.js';
import type { Service } from '../src/mesh/config.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { OutlierDetector, PoolGate, RetryBudget } from '../src/traffic/index.js';
import type { OutlierEvent, TrafficSettings } from '../src/traffic/index.js';

/** A request waiting for a pool slot: resolved when one frees, or dropped. */
type Waiter = () => void;

export class ServiceTraffic {
  readonly budget: RetryBudget;
  readonly gate: PoolGate;
  readonly waiters: Waiter[] = [];
  readonly outlier: OutlierDetector | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private endpointsOf: Service | undefined;

  /** `ns/name` of the policy in force; undefined: weft's defaults. */
  readonly policy: string | undefined;
  readonly settings: TrafficSettings;

  constructor(
    readonly service: string,
    found: { readonly policy: string | undefined; readonly settings: TrafficSettings },
    now: () => number,
    private readonly log: LimitedLogger,
  ) {
    this.policy = found.policy;
    this.settings = found.settings;
    const settings = found.settings;
    this.budget = new RetryBudget(settings.retryBudget, now);
    this.gate = new PoolGate(settings.connectionPool);
    const od = settings.outlierDetection;
    if (od) {
      this.outlier = new OutlierDetector(od, now);
      this.sweeper = setInterval(() => this.report(this.outlier!.sweep()), od.intervalMs);
      this.sweeper.unref();
    }
  }

  /** The outlier detector, told the Service's endpoints when the Service object changed. */
  detector(service: Service): OutlierDetector | undefined {
    if (this.outlier && this.endpointsOf !== service) {
      this.outlier.setEndpoints(service.endpoints.map((e) => e.address));
      this.endpointsOf = service;
    }
    return this.outlier;
  }

  report(events: readonly (OutlierEvent | undefined)[]): void {
    for (const e of events) {
      if (!e) continue;
      const fields = { service: this.service, policy: this.policy, endpoint: e.address };
      if (e.type === 'ejected') {
        this.log.log(
          'info',
          'outlier ejected',
          { ...fields, reason: e.reason, forMs: e.forMs, ejections: e.ejections },
          `outlier|${this.service}|${e.address}`,
        );
      } else if (e.type === 'readmitted') {
        this.log.log('info', 'outlier readmitted', fields, `readmit|${this.service}|${e.address}`);
      }
    }
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    // Waiters of a replaced policy go on at once rather than wait on counters nobody frees.
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Every Service's traffic state in this sidecar, keyed `ns/name`. */
export class TrafficStates {
  private readonly states = new Map<string, { key: string; state: ServiceTraffic }>();
  private mesh: MeshIndex | undefined;

  constructor(
    private readonly log: LimitedLogger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The state for calls to `service` under the mesh in force (new when its policy changed). */
  for(mesh: MeshIndex, service: Service): ServiceTraffic {
    if (mesh !== this.mesh) this.forget(mesh);
    const name = `${service.namespace}/${service.name}`;
    const t = mesh.traffic.forService(service);
    const held = this.states.get(name);
    if (held?.key === t.key) return held.state;
    held?.state.stop();
    const state = new ServiceTraffic(name, t, this.now, this.log);
    this.states.set(name, { key: t.key, state });
    return state;
  }

  /** A new config: the state of Services it no longer has goes (and their sweep timers). */
  private forget(mesh: MeshIndex): void {
    this.mesh = mesh;
    const live = new Set(mesh.config.services.map((s) => `${s.namespace}/${s.name}`));
    for (const [name, { state }] of this.states) {
      if (live.has(name)) continue;
      state.stop();
      this.states.delete(name);
    }
  }

  stop(): void {
    for (const { state } of this.states.values()) state.stop();
    this.states.clear();
  }
}
