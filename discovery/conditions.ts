// Merging the conditions a controller wants into the ones stored on an object. Pure.
// Shared by every status discovery writes (TrafficPolicy and AuthorizationPolicy
// status.conditions, each weft entry of a route's status.parents). lastTransitionTime
// moves only when a condition's status changes (metav1.Condition), and "changed"
// ignores it, so two replicas computing the same status at different moments never
// write over each other.

/** A condition as read back from the API server: any field may be missing. */
export interface StoredCondition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
  readonly observedGeneration?: unknown;
  readonly lastTransitionTime?: unknown;
}

/** A condition as a kind computes it; lastTransitionTime is set by mergeConditions. */
export interface DesiredCondition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

const same = (a: StoredCondition | undefined, b: DesiredCondition): boolean =>
  !!a &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.message === b.message &&
  a.observedGeneration === b.observedGeneration;

/**
 * `desired` in its order, each with the stored lastTransitionTime while its status
 * holds, else `fresh(d)`. `changed` is false when the stored conditions already say
 * this (same types, count, status, reason, message, generation): nothing to write.
 */
export function mergeConditions<C extends DesiredCondition>(
  current: readonly StoredCondition[] | undefined,
  desired: readonly C[],
  fresh: (d: C) => string,
): { conditions: (C & { lastTransitionTime: string })[]; changed: boolean } {
  let changed = (current?.length ?? 0) !== desired.length;
  const conditions = desired.map((d) => {
    const old = current?.find((c) => c.type === d.type);
    if (!same(old, d)) changed = true;
    const kept = old?.status === d.status ? old.lastTransitionTime : undefined;
    // A stored time is a non-empty RFC 3339 string (the CRDs' format: date-time).
    const keep = typeof kept === 'string' && kept !== '' ? kept : undefined;
    return { ...d, lastTransitionTime: keep ?? fresh(d) };
  });
  return { conditions, changed };
}

/** mergeConditions with one transition time, `now`, for every condition that moved. */
export const nextConditions = <C extends DesiredCondition>(
  current: readonly StoredCondition[] | undefined,
  desired: readonly C[],
  now: Date,
): { conditions: (C & { lastTransitionTime: string })[]; changed: boolean } =>
  mergeConditions(current, desired, () => now.toISOString());
