// status.conditions of AuthorizationPolicies, written by the control plane so
// `kubectl get ap` says whether each policy is in force:
//   Accepted  True  (reason Accepted, or DryRun)  | False (reason Invalid: each
//             field and its problem, and what the sidecars do instead: fail closed)
//   Warnings  True  (reason Warnings: the notes compilePolicy returned, e.g. TCP
//             behaviour, istio/istio#24665) | False (reason None)
// A second condition type rather than text in Accepted's message, so tools can
// select policies with warnings. Written only when a condition changed (StatusWriter).
//
// Unlike route and TrafficPolicy status, a policy's status depends on the policy
// alone, so it is written per informer event (observe), not in passes over all.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { CompiledPolicy } from '../src/authz/index.js';
import { AUTHORIZATION_POLICY, compilePolicy } from '../src/authz/index.js';
import type { Logger } from '../src/log.js';
import { nextConditions } from './conditions.js';
import type { NextStatus, StatusKind } from './status-writer.js';
import { StatusWriter } from './status-writer.js';

export interface PolicyCondition {
  type: 'Accepted' | 'Warnings';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface AuthorizationPolicyResource extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: PolicyCondition[] };
}

/** The API server keeps messages to 32 KiB (the CRD's maxLength); stay well inside. */
const MAX_MESSAGE = 4000;
const clip = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);

function failClosed(p: CompiledPolicy): string {
  return p.action === 'DENY'
    ? 'sidecars deny every request this policy selects until it is fixed'
    : 'sidecars treat it as matching nothing until it is fixed';
}

/** The conditions a compiled policy should carry (without transition times). */
export function policyConditions(p: CompiledPolicy, generation?: number): PolicyCondition[] {
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  const accepted: PolicyCondition = p.valid
    ? {
        type: 'Accepted',
        status: 'True',
        reason: p.dryRun ? 'DryRun' : 'Accepted',
        message: p.dryRun ? 'evaluated and reported, not enforced (weft.dev/dry-run)' : 'in force',
        ...gen,
      }
    : {
        type: 'Accepted',
        status: 'False',
        reason: 'Invalid',
        message: clip(
          `${p.problems.map((x) => `${x.field}: ${x.reason}`).join('; ')}; ${failClosed(p)}`,
        ),
        ...gen,
      };
  const warnings: PolicyCondition = p.warnings.length
    ? {
        type: 'Warnings',
        status: 'True',
        reason: 'Warnings',
        message: clip(p.warnings.join('; ')),
        ...gen,
      }
    : { type: 'Warnings', status: 'False', reason: 'None', message: 'no warnings', ...gen };
  return [accepted, warnings];
}

const keyOf = (o: AuthorizationPolicyResource): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const AUTHZ_KIND: StatusKind<AuthorizationPolicyResource> = {
  noun: 'AuthorizationPolicy',
  field: 'policy',
  key: keyOf,
  target: (o) => {
    const { group, version, plural, kind } = AUTHORIZATION_POLICY;
    return {
      group,
      version,
      plural,
      kind,
      namespace: o.metadata?.namespace ?? '',
      name: o.metadata?.name ?? '',
      resourceVersion: o.metadata?.resourceVersion,
    };
  },
  // No reread: a conflict means a newer version is on its way to observe(). Every
  // failure at debug: anything else is retried at the next event or resync.
  quiet: true,
};

/** The conditions the policy should carry now, kept beside the rest of its status. */
function nextStatus(o: AuthorizationPolicyResource, now: Date): NextStatus {
  const key = keyOf(o);
  const compiled = compilePolicy({
    namespace: o.metadata?.namespace ?? '',
    name: o.metadata?.name ?? '',
    spec: o.spec,
    annotations: o.metadata?.annotations ?? {},
  });
  const desired = policyConditions(compiled, o.metadata?.generation);
  const next = nextConditions(o.status?.conditions, desired, now);
  return {
    changed: next.changed,
    status: { ...o.status, conditions: next.conditions },
    ...(compiled.valid
      ? {}
      : {
          warning: {
            msg: 'AuthorizationPolicy invalid',
            fields: { policy: key, problems: compiled.problems },
          },
        }),
  };
}

/** Writes status for each AuthorizationPolicy it is shown; one write in flight per object. */
export class AuthzStatusWriter {
  private readonly inFlight = new Set<string>();
  /** The newest object seen while a write was in flight: observed again after it. */
  private readonly pending = new Map<string, AuthorizationPolicyResource>();
  private readonly writer: StatusWriter<AuthorizationPolicyResource>;

  constructor(
    api: CustomObjectsApi,
    log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.writer = new StatusWriter(api, AUTHZ_KIND, log);
  }

  /** Called for every add/update (and resync); resolves once written or skipped. */
  async observe(obj: AuthorizationPolicyResource): Promise<void> {
    const key = keyOf(obj);
    if (this.inFlight.has(key)) {
      this.pending.set(key, obj);
      return;
    }
    this.inFlight.add(key);
    try {
      await this.writer.write(obj, (o) => nextStatus(o, this.now()));
    } finally {
      this.inFlight.delete(key);
      const again = this.pending.get(key);
      this.pending.delete(key);
      if (again) await this.observe(again);
    }
  }
}
