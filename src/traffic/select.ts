// Which TrafficPolicy a Service's callers apply. Policies attach to Services in
// their own namespace (GEP-713 targetRefs); when several valid ones target the
// same Service, the oldest wins, then the first by namespace/name, as Gateway
// API policy attachment resolves conflicts ("the oldest Policy based on
// creation timestamp"). The others do not apply to that Service at all: no
// field-by-field merge. An invalid policy applies nowhere and takes nothing.
import { DEFAULT_SETTINGS } from './compile.js';
import type { CompiledTrafficPolicy, TrafficSettings } from './types.js';

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export const policyName = (p: { namespace: string; name: string }): string =>
  `${p.namespace}/${p.name}`;

/** Precedence order: oldest first, then namespace/name. */
export function byPrecedence(a: CompiledTrafficPolicy, b: CompiledTrafficPolicy): number {
  const ta = Date.parse(a.creationTimestamp);
  const tb = Date.parse(b.creationTimestamp);
  if (ta !== tb && !Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  const na = policyName(a);
  const nb = policyName(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The valid policies targeting a Service, the one that applies first. */
export function policiesFor(
  all: readonly CompiledTrafficPolicy[],
  svc: ServiceRef,
): CompiledTrafficPolicy[] {
  return all
    .filter((p) => p.valid && p.namespace === svc.namespace && p.targets.includes(svc.name))
    .sort(byPrecedence);
}

export interface ServiceTraffic {
  readonly settings: TrafficSettings;
  /** `ns/name` of the policy in force; undefined: weft's defaults. */
  readonly policy: string | undefined;
  /** Other valid policies targeting the Service, which do not apply. */
  readonly overridden: readonly string[];
}

export function trafficFor(all: readonly CompiledTrafficPolicy[], svc: ServiceRef): ServiceTraffic {
  const [winner, ...rest] = policiesFor(all, svc);
  if (!winner) return { settings: DEFAULT_SETTINGS, policy: undefined, overridden: [] };
  return {
    settings: winner.settings,
    policy: policyName(winner),
    overridden: rest.map(policyName),
  };
}
