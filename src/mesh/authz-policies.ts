// The AuthorizationPolicies a sidecar enforces, compiled once per config change
// (never per request) with the same src/authz functions the CLI uses. A policy
// that does not compile is kept in its fail-closed form (compilePolicy's
// contract): it is counted and reported, never dropped.
import type { CompiledPolicy } from '../authz/index.js';
import { DRY_RUN_ANNOTATION, compilePolicy } from '../authz/index.js';
import type { AuthzPolicyEntry } from './config.js';
import { byCodeUnit } from '../compare.js';

export interface AuthzPolicies {
  /** In evaluation order (see evaluationOrder). */
  readonly policies: readonly CompiledPolicy[];
  /** By `ns/name`, to name the deciding policy's action. */
  readonly byKey: ReadonlyMap<string, CompiledPolicy>;
  /** How many did not compile (applied fail-closed). */
  readonly invalid: number;
  /** Set before discovery's first view: no policy is known yet, so inbound is denied. */
  readonly noView?: true;
}

export const policyKey = (p: { namespace: string; name: string }): string =>
  `${p.namespace}/${p.name}`;

const ACTION_ORDER = { DENY: 0, ALLOW: 1, AUDIT: 2 } as const;

/**
 * The order selectPolicies gives (src/authz/select.ts), so the sidecar names the
 * same deciding policy the CLI does: DENY, ALLOW, AUDIT; root-namespace policies
 * first; then by name. Discovery sent only the policies that select this pod, so
 * any not in the pod's own namespace is a root-namespace (mesh-wide) one.
 */
function evaluationOrder(selfNamespace: string): (a: CompiledPolicy, b: CompiledPolicy) => number {
  const root = (p: CompiledPolicy): number => Number(p.namespace !== selfNamespace);
  return (a, b) =>
    ACTION_ORDER[a.action] - ACTION_ORDER[b.action] ||
    root(b) - root(a) ||
    byCodeUnit(a.name, b.name);
}

export function compileAuthz(
  entries: readonly AuthzPolicyEntry[],
  selfNamespace: string,
): AuthzPolicies {
  const policies = entries.map((e) =>
    compilePolicy({
      namespace: e.namespace,
      name: e.name,
      spec: e.spec,
      annotations: e.dryRun ? { [DRY_RUN_ANNOTATION]: 'true' } : {},
    }),
  );
  policies.sort(evaluationOrder(selfNamespace));
  return {
    policies,
    byKey: new Map(policies.map((p) => [policyKey(p), p])),
    invalid: policies.filter((p) => !p.valid).length,
  };
}
