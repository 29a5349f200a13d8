// status.conditions of TrafficPolicies, written by the control plane so that
// `kubectl get trafficpolicy` says whether each is in force (src/traffic's
// trafficPolicyConditions: Accepted / Invalid / Conflicted / TargetNotFound, and
// Conflicted). Whether a policy applies depends on the other policies and on the
// Services, so every policy is recomputed after each (debounced) rebuild, as
// route status is (StatusReconciler). Every replica runs this: a write happens only
// when a condition changed (transition times aside), with the stored resourceVersion;
// a conflict is left to the next event, which brings the newer object (StatusWriter).
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../src/log.js';
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
import { nextConditions } from './conditions.js';
import type { StatusPass } from './status-reconciler.js';
import { StatusReconciler } from './status-reconciler.js';
import type { NextStatus, StatusKind } from './status-writer.js';
import { timestamp } from './timestamp.js';
import { weakMemo } from './weak-memo.js';

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

const keyOf = (s: StoredTrafficPolicy): string => `${s.policy.namespace}/${s.policy.name}`;

const TRAFFIC_KIND: StatusKind<StoredTrafficPolicy> = {
  noun: 'TrafficPolicy',
  field: 'policy',
  key: keyOf,
  target: (s) => {
    const { group, version, plural, kind } = TRAFFIC_POLICY;
    const { namespace, name } = s.policy;
    return { group, version, plural, kind, namespace, name, resourceVersion: s.resourceVersion };
  },
  // No reread: a conflict is left to the next event.
};

/** The status a policy should carry, given the conditions trafficPolicyConditions gave it. */
function nextStatus(
  s: StoredTrafficPolicy,
  compiled: CompiledTrafficPolicy,
  desired: readonly StoredCondition[],
  now: Date,
): NextStatus {
  const next = nextConditions(s.conditions, desired, now);
  return {
    changed: next.changed,
    // status holds only conditions: what else a status might hold is not kept.
    status: { conditions: next.conditions },
    ...(compiled.valid
      ? {}
      : {
          warning: {
            msg: 'TrafficPolicy invalid: applied nowhere',
            fields: { policy: keyOf(s), problems: compiled.problems.slice(0, 8) },
          },
        }),
  };
}

export class TrafficStatusWriter extends StatusReconciler<StoredTrafficPolicy> {
  private readonly compile = weakMemo(compileTrafficPolicy);

  constructor(
    api: CustomObjectsApi,
    private readonly source: TrafficStatusSource,
    log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    // No retry timer, no skipping of what this replica wrote: a failure waits for the
    // next rebuild, and a stale cached version meets a 409, which is left alone.
    super(api, TRAFFIC_KIND, log);
  }

  /** Every policy as cached, each decided against all of them compiled once. */
  protected snapshot(): StatusPass<StoredTrafficPolicy> {
    const objects = [...this.source.policies()];
    const all = objects.map((s) => this.compile(s.policy));
    const world = { serviceExists: (ns: string, n: string) => this.source.serviceExists(ns, n) };
    return {
      objects,
      next: (s) => {
        const compiled = this.compile(s.policy);
        return nextStatus(s, compiled, trafficPolicyConditions(compiled, all, world), this.now());
      },
    };
  }
}
