// Merging weft's RouteParentStatus entries into a route's stored status.parents.
// Pure. The list is shared by every controller a route names as a parent (an
// ingress Gateway's controller writes its own entries beside ours), so entries of
// other controllers are kept exactly as stored, in their place; only entries with
// controllerName weft.dev/mesh are replaced, each condition by condition as every
// status is (mergeConditions: transition times kept while a status holds).
import type { RouteParentStatus } from '../src/routes/index.js';
import { CONTROLLER_NAME } from '../src/routes/index.js';
import type { StoredCondition } from './conditions.js';
import { mergeConditions } from './conditions.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

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
  const next = desired.map((d): RouteParentStatus => {
    const old = ours.get(parentRefKey(d.parentRef));
    // routeStatus stamps each condition with the pass's "now": the time of a change.
    const merged = mergeConditions(old?.conditions, d.conditions, (c) => c.lastTransitionTime);
    if (!old || merged.changed) changed = true;
    return { ...d, conditions: merged.conditions };
  });
  return { parents: [...others, ...next], changed };
}
