// Scoping (docs/discovery.md, "Scoping"): a sidecar whose hello subscribes gets the
// catalog and, of the endpoints/… and pod/… resources, only those it names. What
// it names and what it has been told is missing live here, per connection; the
// held-view code computes what to send.
import type { Resource, View } from '../src/mesh/view.js';
import { ENDPOINTS_PREFIX, POD_PREFIX, podKey } from '../src/mesh/view.js';
import { MAX_SUBSCRIPTIONS } from '../src/mesh/wire.js';
import type { Held } from './held-view.js';
import { heldVersion } from './held-view.js';

export class Scope {
  private readonly subs: Set<string>;
  /** Subscribed names already answered as missing (sent in `removed`) while they stay so. */
  private readonly answered = new Set<string>();
  /** Names refused past the cap, answered as not found in the next message. */
  private readonly overCap = new Set<string>();

  constructor(initial: readonly string[]) {
    this.subs = new Set(initial);
  }

  get size(): number {
    return this.subs.size;
  }

  /**
   * Applies a subscribe message. Names past MAX_SUBSCRIPTIONS are refused, not the
   * stream: they are answered as not found (the sidecar bounds itself below the cap,
   * so only a misbehaving one gets here; closing the stream would make its
   * re-subscribing hello over the cap again, a reconnect loop). Returns how many
   * names were refused.
   */
  change(subscribe: readonly string[], unsubscribe: readonly string[]): number {
    for (const n of unsubscribe) {
      this.subs.delete(n);
      this.answered.delete(n);
    }
    let refused = 0;
    for (const n of subscribe) {
      this.answered.delete(n); // asked again: answered again
      if (this.subs.has(n) || this.subs.size < MAX_SUBSCRIPTIONS) this.subs.add(n);
      else {
        this.overCap.add(n);
        refused++;
      }
    }
    return refused;
  }

  /**
   * The subscribed resources that exist (and are not refused at this version), plus
   * the endpoints of the Services the sidecar's own pod (at `address`) backs, unasked:
   * its destination reporter names the Service a request came in on from them.
   */
  view(shared: View, pods: View, excluded: ReadonlyMap<string, string>, address: string): View {
    const out = new Map<string, Resource>();
    const add = (name: string, r: Resource | undefined): void => {
      if (r && excluded.get(name) !== r.version) out.set(name, r);
    };
    for (const name of this.subs)
      add(name, name.startsWith(POD_PREFIX) ? pods.get(name) : shared.get(name));
    const self = pods.get(podKey(address));
    for (const svc of self?.kind === 'pod' ? self.pod.services : []) {
      const name = `${ENDPOINTS_PREFIX}${svc}`;
      add(name, shared.get(name));
    }
    return out;
  }

  /**
   * Subscribed names that do not exist and that the sidecar neither holds nor has been
   * told about: answered in `removed` (delta-xDS's not-found), once each.
   */
  missing(scoped: View, held: Held): string[] {
    const out = [...this.overCap].filter((n) => heldVersion(held, n) === undefined);
    this.overCap.clear();
    for (const name of this.subs) {
      if (scoped.has(name)) {
        this.answered.delete(name); // exists now: if it goes, the delta says so
        continue;
      }
      if (this.answered.has(name) || heldVersion(held, name) !== undefined) continue;
      out.push(name);
    }
    return out;
  }

  /** The names of `missing` went out in a message the sidecar will see. */
  told(names: readonly string[]): void {
    for (const n of names) this.answered.add(n);
  }
}

/** Bytes of resources per line when a scoped sidecar's message is split. */
export const CHUNK_BYTES = 1024 * 1024;

/** Serialised resources in groups of about CHUNK_BYTES (a group holds at least one). */
export function groupResources(resources: readonly string[]): string[][] {
  const groups: string[][] = [];
  let size = 0;
  for (const r of resources) {
    const last = groups.at(-1);
    if (!last || (size + r.length > CHUNK_BYTES && last.length)) {
      groups.push([r]);
      size = r.length + 1;
    } else {
      last.push(r);
      size += r.length + 1;
    }
  }
  return groups;
}

/**
 * Splits a message's serialised resources into lines of about CHUNK_BYTES, each a
 * valid message with the same nonce and version; all but the last say `more`.
 * Only scoped sidecars get more than one line (they declared they understand it).
 */
export function chunkLines(
  head: string,
  resources: readonly string[],
  removed: readonly string[],
): string[] {
  const groups = groupResources(resources);
  if (!groups.length) groups.push([]);
  return groups.map((g, i) => {
    const last = i === groups.length - 1;
    const rem = i === 0 ? JSON.stringify(removed) : '[]';
    return `${head}${g.join(',')}],"removed":${rem}${last ? '' : ',"more":true'}}\n`;
  });
}
