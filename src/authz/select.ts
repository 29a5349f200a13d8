// Which policies apply to a workload, Istio's way: policies in the workload's
// namespace and in the root namespace (weft-system, mesh-wide); without a
// selector a policy covers all of its scope, with one only the pods whose labels
// include every matchLabels pair (a root-namespace selector matches across the
// mesh, as in Istio).
import { WEFT_NAMESPACE } from '../names.js';
import type { CompiledPolicy, Workload } from './types.js';
import { byCodeUnit } from '../compare.js';

const ACTION_ORDER = { DENY: 0, ALLOW: 1, AUDIT: 2 } as const;

function selects(p: CompiledPolicy, w: Workload): boolean {
  if (!p.selector) return true;
  for (const k in p.selector) if (w.labels[k] !== p.selector[k]) return false;
  return true;
}

/**
 * The policies for a workload in evaluation order: DENY, then ALLOW, then AUDIT;
 * within an action, root-namespace policies first, then by name (stable output
 * for the CLI and the log: which policy is named when several would decide).
 */
export function selectPolicies(
  all: readonly CompiledPolicy[],
  w: Workload,
  rootNamespace: string = WEFT_NAMESPACE,
): CompiledPolicy[] {
  return all
    .filter((p) => (p.namespace === w.namespace || p.namespace === rootNamespace) && selects(p, w))
    .sort(
      (a, b) =>
        ACTION_ORDER[a.action] - ACTION_ORDER[b.action] ||
        Number(b.namespace === rootNamespace) - Number(a.namespace === rootNamespace) ||
        byCodeUnit(a.name, b.name),
    );
}
