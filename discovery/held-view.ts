// What a connected sidecar holds, without a copy per sidecar: after an ACK it is
// the shared snapshot it was brought to (one immutable map all sidecars share),
// minus the resources it refused, plus its own resources: its inbound policy and
// the AuthorizationPolicies that select its pod (`authz/…`, shared objects, one
// map per sidecar). Only a fresh connection's declared versions (its hello) are an
// explicit map.
import type { Resource, View } from '../src/mesh/view.js';
import { AUTHZ_PREFIX, entryHash, formatVersion } from '../src/mesh/view.js';

export type Held = SnapshotHeld | ExplicitHeld;

interface ExplicitHeld {
  readonly kind: 'explicit';
  readonly versions: ReadonlyMap<string, string>;
}

export interface SnapshotHeld {
  readonly kind: 'snapshot';
  readonly shared: View;
  /** Resource name → the version this sidecar refused (left out while unchanged). */
  readonly excluded: ReadonlyMap<string, string>;
  readonly inbound: Resource | undefined;
  /** `authz/<ns>/<name>` → the policies that select this sidecar's pod. */
  readonly authz?: View;
}

const NONE: View = new Map();
const authzOf = (h: SnapshotHeld): View => h.authz ?? NONE;

export interface Delta {
  readonly resources: Resource[];
  readonly removed: string[];
}

const isOwn = (name: string): boolean => name === 'inbound' || name.startsWith(AUTHZ_PREFIX);

const excludedNow = (excluded: ReadonlyMap<string, string>, r: Resource): boolean =>
  excluded.get(r.name) === r.version;

function heldVersion(h: Held, name: string): string | undefined {
  if (h.kind === 'explicit') return h.versions.get(name);
  if (name === 'inbound') return h.inbound?.version;
  if (name.startsWith(AUTHZ_PREFIX)) return authzOf(h).get(name)?.version;
  const r = h.shared.get(name);
  return r && !excludedNow(h.excluded, r) ? r.version : undefined;
}

function* heldNames(h: Held): Iterable<string> {
  if (h.kind === 'explicit') return yield* h.versions.keys();
  for (const r of h.shared.values()) if (!excludedNow(h.excluded, r)) yield r.name;
  if (h.inbound) yield 'inbound';
  yield* authzOf(h).keys();
}

/**
 * The inbound policy a sidecar holds, for a target that keeps it (the sidecar refused
 * the current one). A fresh connection's is known by its version only: the stand-in
 * carries that version and is never sent (an unchanged inbound is not), so only its
 * name and version, which the view version is computed from, matter.
 */
export function heldInbound(h: Held): Resource | undefined {
  if (h.kind === 'snapshot') return h.inbound;
  const version = h.versions.get('inbound');
  if (version === undefined) return undefined;
  return {
    kind: 'inbound',
    name: 'inbound',
    version,
    inbound: { mode: 'STRICT', ports: [], by: '' },
  };
}

/** Shared-part deltas between two snapshots, computed once per pair however many sidecars move. */
export class DeltaCache {
  private readonly byPrevious = new WeakMap<View, Delta>();
  constructor(private readonly next: View) {}

  between(previous: View): Delta {
    let d = this.byPrevious.get(previous);
    if (!d) {
      const resources = [...this.next.values()].filter(
        (r) => previous.get(r.name)?.version !== r.version,
      );
      const removed = [...previous.keys()].filter((n) => !this.next.has(n));
      d = { resources, removed };
      this.byPrevious.set(previous, d);
    }
    return d;
  }
}

function genericDelta(held: Held, target: SnapshotHeld): Delta {
  const resources: Resource[] = [];
  for (const r of target.shared.values()) {
    if (!excludedNow(target.excluded, r) && heldVersion(held, r.name) !== r.version)
      resources.push(r);
  }
  const removed: string[] = [];
  for (const n of heldNames(held)) {
    if (isOwn(n)) continue;
    const r = target.shared.get(n);
    if (!r || excludedNow(target.excluded, r)) removed.push(n);
  }
  return { resources, removed };
}

/** The authz/… names a sidecar holds, without walking the shared part. */
function heldAuthz(h: Held): Iterable<string> {
  if (h.kind === 'snapshot') return authzOf(h).keys();
  return [...h.versions.keys()].filter((n) => n.startsWith(AUTHZ_PREFIX));
}

/** The sidecar's own resources (inbound, authz/…) that changed or went away. */
function ownDelta(held: Held, target: SnapshotHeld): Delta {
  const resources: Resource[] = [];
  const removed: string[] = [];
  if (heldVersion(held, 'inbound') !== target.inbound?.version) {
    if (target.inbound) resources.push(target.inbound);
    else removed.push('inbound');
  }
  const authz = authzOf(target);
  for (const r of authz.values()) if (heldVersion(held, r.name) !== r.version) resources.push(r);
  for (const n of heldAuthz(held)) if (!authz.has(n)) removed.push(n);
  return { resources, removed };
}

/**
 * A delta with its shared part kept apart: when that part comes from the DeltaCache it
 * is one object for every sidecar making the same move, so its encoding is made once
 * (stream-server.ts) and a connect storm does not build one copy of the catalog per
 * sidecar.
 */
export interface PushDelta extends Delta {
  readonly shared: Delta;
}

/** Previous view of a sidecar that holds nothing (a first hello): one key for the cache. */
const NOTHING: View = new Map();

/** The delta from what a sidecar holds to `target`. */
export function deltaTo(held: Held, target: SnapshotHeld, cache: DeltaCache): PushDelta {
  const unexcluded = !target.excluded.size;
  const shared =
    held.kind === 'snapshot' && !held.excluded.size && unexcluded
      ? cache.between(held.shared)
      : held.kind === 'explicit' && !held.versions.size && unexcluded
        ? cache.between(NOTHING)
        : genericDelta(held, target);
  const own = ownDelta(held, target);
  if (!own.resources.length && !own.removed.length) return { ...shared, shared };
  return {
    shared,
    resources: [...shared.resources, ...own.resources],
    removed: [...shared.removed, ...own.removed],
  };
}

const sharedVersions = new WeakMap<View, bigint>();

/** The view version of a snapshot-kind Held (what the sidecar computes after applying). */
export function versionOf(h: SnapshotHeld): string {
  let x = sharedVersions.get(h.shared);
  if (x === undefined) {
    x = 0n;
    for (const r of h.shared.values()) x ^= entryHash(r);
    sharedVersions.set(h.shared, x);
  }
  for (const name of h.excluded.keys()) {
    const r = h.shared.get(name);
    if (r && excludedNow(h.excluded, r)) x ^= entryHash(r);
  }
  if (h.inbound) x ^= entryHash(h.inbound);
  for (const r of authzOf(h).values()) x ^= entryHash(r);
  return formatVersion(x);
}
