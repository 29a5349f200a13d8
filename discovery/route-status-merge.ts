// Merging weft's RouteParentStatus entries into a route's stored status.parents.
// Pure. The list is shared by every controller a route names as a parent (an
// ingress Gateway's controller writes its own entries beside ours), so entries of
// other controllers are kept exactly as stored, in their place; only entries with
// controllerName weft.dev/mesh are replaced. lastTransitionTime moves only when a
// condition's status changes (metav1.Condition), and "changed" ignores it, so two
// replicas computing the same status at different moments never write over each
// other.
import type { Condition, RouteParentStatus } from '../src/routes/index.js';
import { CONTROLLER_NAME } from '../src/routes/index.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

interface StoredCondition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  observedGeneration?: unknown;
  lastTransitionTime?: unknown;
}

interface StoredParent {
  parentRef?: Record<string, unknown>;
  controllerName?: unknown;
  conditions?: StoredCondition[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parentRef's identity, with the CRD's defaults (group and kind: a Gateway). */
export function parentRefKey(ref: Record<string, unknown> | undefined): string {
  const r = ref ?? {};
  return JSON.stringify([
    r.group ?? GATEWAY_GROUP,
    r.kind ?? 'Gateway',
    r.namespace ?? '',
    r.name ?? '',
    r.sectionName ?? '',
    r.port ?? '',
  ]);
}

const sameCondition = (a: StoredCondition | undefined, b: Condition): boolean =>
  !!a &&
  a.status === b.status &&
  a.reason === b.reason &&
  a.message === b.message &&
  a.observedGeneration === b.observedGeneration;

function sameEntry(old: StoredParent | undefined, next: RouteParentStatus): boolean {
  if (!old || (old.conditions?.length ?? 0) !== next.conditions.length) return false;
  return next.conditions.every((c) =>
    sameCondition(
      old.conditions?.find((o) => o.type === c.type),
      c,
    ),
  );
}

/** Desired conditions, each keeping its stored transition time while its status holds. */
function withTimes(old: StoredParent | undefined, next: RouteParentStatus): RouteParentStatus {
  return {
    ...next,
    conditions: next.conditions.map((c) => {
      const before = old?.conditions?.find((o) => o.type === c.type);
      const keep =
        before?.status === c.status && typeof before.lastTransitionTime === 'string'
          ? before.lastTransitionTime
          : undefined;
      return { ...c, lastTransitionTime: keep ?? c.lastTransitionTime };
    }),
  };
}

export interface MergedParents {
  /** Other controllers' entries as stored, then weft's in the order of `desired`. */
  readonly parents: unknown[];
  /** False when weft's entries already say this (transition times aside): no write. */
  readonly changed: boolean;
}

/**
 * `current` is status.parents as stored (anything: it is read from the API server);
 * `desired` is what routeStatus computed now (its lastTransitionTime is "now").
 */
export function mergeRouteParents(
  current: unknown,
  desired: readonly RouteParentStatus[],
): MergedParents {
  const stored = Array.isArray(current) ? (current as unknown[]) : [];
  const ours = new Map<string, StoredParent>();
  const others: unknown[] = [];
  let ourCount = 0;
  for (const p of stored) {
    if (isObject(p) && p.controllerName === CONTROLLER_NAME) {
      const sp = p as StoredParent;
      ours.set(parentRefKey(sp.parentRef), sp);
      ourCount++;
    } else others.push(p);
  }
  // Counted, not the map's size: a parentRef written twice must not look changed forever.
  let changed = ourCount !== desired.length;
  const next = desired.map((d) => {
    const old = ours.get(parentRefKey(d.parentRef));
    if (!sameEntry(old, d)) changed = true;
    return withTimes(old, d);
  });
  return { parents: [...others, ...next], changed };
}
