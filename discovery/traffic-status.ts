// status.conditions of TrafficPolicies, written by the control plane so that
// `kubectl get trafficpolicy` says whether each is in force (src/traffic's
// trafficPolicyConditions: Accepted / Invalid / Conflicted / TargetNotFound, and
// Conflicted). Whether a policy applies depends on the other policies and on the
// Services, so every policy is recomputed after each (debounced) rebuild, as
// route status is. Every replica runs this: a write happens only when a
// condition changed (transition times aside), with the stored resourceVersion;
// a conflict is left to the next event, which brings the newer object.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';
import {
  TRAFFIC_POLICY,
  compileTrafficPolicy,
  trafficPolicyConditions,
} from '../src/traffic/index.js';
import type {
  CompiledTrafficPolicy,
  TrafficPolicyCondition,
  TrafficPolicyObject,
} from '../src/traffic/index.js';
import { nextConditions } from './authz-status.js';
import { timestamp } from './route-status.js';

type StoredCondition = TrafficPolicyCondition & { lastTransitionTime?: string };

export interface TrafficPolicyResource extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: StoredCondition[] };
}

/** A TrafficPolicy as discovery keeps it: src/traffic's envelope, and what a status write needs. */
export interface StoredTrafficPolicy {
  readonly policy: TrafficPolicyObject;
  readonly resourceVersion: string;
  readonly conditions: readonly StoredCondition[] | undefined;
}

export function storedTrafficPolicy(o: TrafficPolicyResource): StoredTrafficPolicy {
  const meta = o.metadata ?? {};
  return {
    policy: {
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
      creationTimestamp: timestamp(meta.creationTimestamp),
      ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
      spec: o.spec ?? {},
    },
    resourceVersion: meta.resourceVersion ?? '',
    conditions: o.status?.conditions,
  };
}

export interface TrafficStatusSource {
  policies(): Iterable<StoredTrafficPolicy>;
  serviceExists(namespace: string, name: string): boolean;
}

export class TrafficStatusWriter {
  private readonly compiled = new WeakMap<TrafficPolicyObject, CompiledTrafficPolicy>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly limited: LimitedLogger;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly source: TrafficStatusSource,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.limited = limitLogger(log);
  }

  /** One pass at a time; a call during a pass runs one more after it. */
  reconcile(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      await this.pass().catch((err: unknown) =>
        this.log.error('TrafficPolicy status pass failed', { err }),
      );
    }
  }

  private compile(p: TrafficPolicyObject): CompiledTrafficPolicy {
    let c = this.compiled.get(p);
    if (!c) {
      c = compileTrafficPolicy(p);
      this.compiled.set(p, c);
    }
    return c;
  }

  private async pass(): Promise<void> {
    const stored = [...this.source.policies()];
    const all = stored.map((s) => this.compile(s.policy));
    const world = { serviceExists: (ns: string, n: string) => this.source.serviceExists(ns, n) };
    for (const [i, s] of stored.entries()) {
      if (this.stopped) return;
      const desired: StoredCondition[] = trafficPolicyConditions(all[i]!, all, world);
      const next = nextConditions<StoredCondition>(s.conditions, desired, this.now());
      if (next.changed) await this.write(s, all[i]!, next.conditions);
    }
  }

  private async write(
    s: StoredTrafficPolicy,
    compiled: CompiledTrafficPolicy,
    conditions: StoredCondition[],
  ): Promise<void> {
    const { group, version, plural, kind } = TRAFFIC_POLICY;
    const { namespace, name } = s.policy;
    const key = `${namespace}/${name}`;
    try {
      await this.api.replaceNamespacedCustomObjectStatus({
        group,
        version,
        plural,
        namespace,
        name,
        body: {
          apiVersion: `${group}/${version}`,
          kind,
          metadata: { namespace, name, resourceVersion: s.resourceVersion },
          status: { conditions },
        },
      });
      if (!compiled.valid) {
        this.limited.warn(
          'TrafficPolicy invalid: applied nowhere',
          { policy: key, problems: compiled.problems.slice(0, 8) },
          key,
        );
      }
    } catch (err) {
      // Deleted meanwhile, or a newer version is on its way (its event runs another pass).
      if (isNotFound(err) || isConflict(err)) return;
      this.limited.warn('TrafficPolicy status not written', { policy: key, err }, key);
    }
  }
}
