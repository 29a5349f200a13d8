// status.conditions of AuthorizationPolicies, written by the control plane so
// `kubectl get ap` says whether each policy is in force:
//   Accepted  True  (reason Accepted, or DryRun)  | False (reason Invalid: each
//             field and its problem, and what the sidecars do instead: fail closed)
//   Warnings  True  (reason Warnings: the notes compilePolicy returned, e.g. TCP
//             behaviour, istio/istio#24665) | False (reason None)
// A second condition type rather than text in Accepted's message, so tools can
// select policies with warnings. Written only when a condition changed.
import type { CustomObjectsApi, KubernetesObject } from '@kubernetes/client-node';
import type { CompiledPolicy } from '../src/authz/index.js';
import { AUTHORIZATION_POLICY, compilePolicy } from '../src/authz/index.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';

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

const same = <C extends Omit<PolicyCondition, 'type'>>(a: C | undefined, b: C): boolean =>
  !!a &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.message === b.message &&
  a.observedGeneration === b.observedGeneration;

/** Desired conditions with transition times: kept where the status did not change. */
export function nextConditions<C extends Omit<PolicyCondition, 'type'> & { type: string }>(
  current: readonly C[] | undefined,
  desired: readonly C[],
  now: Date,
): { conditions: C[]; changed: boolean } {
  let changed = (current?.length ?? 0) !== desired.length;
  const conditions = desired.map((d) => {
    const old = current?.find((c) => c.type === d.type);
    if (!same(old, d)) changed = true;
    const keep = old && old.status === d.status && old.lastTransitionTime;
    return { ...d, lastTransitionTime: keep ? old.lastTransitionTime : now.toISOString() };
  });
  return { conditions, changed };
}

/** Writes status for each AuthorizationPolicy it is shown; one write in flight per object. */
export class AuthzStatusWriter {
  private readonly inFlight = new Set<string>();
  /** The newest object seen while a write was in flight: observed again after it. */
  private readonly pending = new Map<string, AuthorizationPolicyResource>();
  private readonly limited: LimitedLogger;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.limited = limitLogger(log);
  }

  /** Called for every add/update (and resync); resolves once written or skipped. */
  async observe(obj: AuthorizationPolicyResource): Promise<void> {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const key = `${namespace}/${name}`;
    if (this.inFlight.has(key)) {
      this.pending.set(key, obj);
      return;
    }
    const compiled = compilePolicy({
      namespace,
      name,
      spec: obj.spec,
      annotations: obj.metadata?.annotations ?? {},
    });
    const desired = policyConditions(compiled, obj.metadata?.generation);
    const next = nextConditions(obj.status?.conditions, desired, this.now());
    if (!next.changed) return;
    this.inFlight.add(key);
    try {
      const { group, version, plural } = AUTHORIZATION_POLICY;
      await this.api.replaceNamespacedCustomObjectStatus({
        group,
        version,
        plural,
        namespace,
        name,
        body: { ...obj, status: { ...obj.status, conditions: next.conditions } },
      });
      if (!compiled.valid) {
        this.limited.warn(
          'AuthorizationPolicy invalid',
          { policy: key, problems: compiled.problems },
          key,
        );
      }
    } catch (err) {
      // A conflict means a newer version is on its way to observe(); anything else is
      // retried at the next event or resync.
      this.log.debug('AuthorizationPolicy status not written', { policy: key, err });
    } finally {
      this.inFlight.delete(key);
      const again = this.pending.get(key);
      this.pending.delete(key);
      if (again) await this.observe(again);
    }
  }
}
