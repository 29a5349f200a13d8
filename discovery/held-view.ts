// What a connected sidecar holds, without a copy per sidecar: after an ACK it is
// the shared snapshot it was brought to (one immutable map all sidecars share),
// minus the resources it refused, plus its own resources: its inbound policy and
// the AuthorizationPolicies that select its pod (`authz/…`, shared objects, one
// map per sidecar). Only a fresh connection's declared versions (its hello) are an
// explicit map.
//
// A scoped sidecar (its hello subscribed) holds the shared snapshot's catalog only
// (every resource but endpoints/…) plus `scoped`: the endpoints/… and pod/…
// resources it subscribed to that exist, one small map per sidecar.
import type { Resource, View } from '../src/mesh/view.js';
import { AUTHZ_PREFIX, entryHash, formatVersion, isOnDemand } from '../src/mesh/view.js';

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
  /** Scoped sidecars: the subscribed endpoints/… and pod/… resources. Absent: wildcard. */
  readonly scoped?: View;
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

/** Whether a shared resource is part of what `h` holds (a scoped sidecar: the catalog only). */
const sharedVisible = (h: SnapshotHeld, r: Resource): boolean =>
  !excludedNow(h.excluded, r) && (h.scoped === undefined || r.kind !== 'endpoints');

export function heldVersion(h: Held, name: string): string | undefined {
  if (h.kind === 'explicit') return h.versions.get(name);
  if (name === 'inbound') return h.inbound?.version;
  if (name.startsWith(AUTHZ_PREFIX)) return authzOf(h).get(name)?.version;
  if (h.scoped && isOnDemand(name)) return h.scoped.get(name)?.version;
  const r = h.shared.get(name);
  return r && sharedVisible(h, r) ? r.version : undefined;
}

function* heldNames(h: Held): Iterable<string> {
  if (h.kind === 'explicit') return yield* h.versions.keys();
  for (const r of h.shared.values()) if (sharedVisible(h, r)) yield r.name;
  if (h.inbound) yield 'inbound';
  yield* authzOf(h).keys();
  if (h.scoped) yield* h.scoped.keys();
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
  private readonly catalogByPrevious = new WeakMap<View, Delta>();
  constructor(private readonly next: View) {}

  /** The same, without endpoints/… (what scoped sidecars take from the shared part). */
  catalogBetween(previous: View): Delta {
    let d = this.catalogByPrevious.get(previous);
    if (!d) {
      const all = this.between(previous);
      d = {
        resources: all.resources.filter((r) => r.kind !== 'endpoints'),
        removed: all.removed.filter((n) => !isOnDemand(n)),
      };
      this.catalogByPrevious.set(previous, d);
    }
    return d;
  }

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
    if (sharedVisible(target, r) && heldVersion(held, r.name) !== r.version) resources.push(r);
  }
  const removed: string[] = [];
  for (const n of heldNames(held)) {
    if (isOwn(n) || (target.scoped && isOnDemand(n))) continue;
    const r = target.shared.get(n);
    if (!r || !sharedVisible(target, r)) removed.push(n);
  }
  return { resources, removed };
}

/** A scoped sidecar's subscribed resources that changed, arrived or went away. */
function scopedDelta(held: Held, target: SnapshotHeld): Delta {
  const resources: Resource[] = [];
  const removed: string[] = [];
  const scoped = target.scoped ?? NONE;
  for (const r of scoped.values()) if (heldVersion(held, r.name) !== r.version) resources.push(r);
  const names =
    held.kind === 'explicit' ? [...held.versions.keys()].filter(isOnDemand) : held.scoped?.keys();
  for (const n of names ?? []) if (!scoped.has(n)) removed.push(n);
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
  const scoped = target.scoped !== undefined;
  // Scoped sidecars take the shared part's catalog only (no endpoints/…).
  const cached = (previous: View): Delta =>
    scoped ? cache.catalogBetween(previous) : cache.between(previous);
  const shared =
    held.kind === 'snapshot' && !held.excluded.size && unexcluded
      ? cached(held.shared)
      : held.kind === 'explicit' && !held.versions.size && unexcluded
        ? cached(NOTHING)
        : genericDelta(held, target);
  const own = ownDelta(held, target);
  const parts = [own, ...(scoped ? [scopedDelta(held, target)] : [])].filter(
    (d) => d.resources.length || d.removed.length,
  );
  if (!parts.length) return { ...shared, shared };
  return {
    shared,
    resources: [...shared.resources, ...parts.flatMap((d) => d.resources)],
    removed: [...shared.removed, ...parts.flatMap((d) => d.removed)],
  };
}

const sharedVersions = new WeakMap<View, bigint>();
const catalogVersions = new WeakMap<View, bigint>();

/** The XOR over a shared snapshot (all of it, or its catalog only), cached per snapshot. */
function sharedHash(shared: View, catalogOnly: boolean): bigint {
  const cache = catalogOnly ? catalogVersions : sharedVersions;
  let x = cache.get(shared);
  if (x === undefined) {
    x = 0n;
    for (const r of shared.values()) if (!catalogOnly || r.kind !== 'endpoints') x ^= entryHash(r);
    cache.set(shared, x);
  }
  return x;
}

/** The view version of a snapshot-kind Held (what the sidecar computes after applying). */
export function versionOf(h: SnapshotHeld): string {
  const catalogOnly = h.scoped !== undefined;
  let x = sharedHash(h.shared, catalogOnly);
  for (const name of h.excluded.keys()) {
    const r = h.shared.get(name);
    if (r && excludedNow(h.excluded, r) && (!catalogOnly || r.kind !== 'endpoints'))
      x ^= entryHash(r);
  }
  if (h.inbound) x ^= entryHash(h.inbound);
  for (const r of authzOf(h).values()) x ^= entryHash(r);
  for (const r of (h.scoped ?? NONE).values()) x ^= entryHash(r);
  return formatVersion(x);
}
