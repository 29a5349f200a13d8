// Per-request endpoint choice, the first reason people adopt a mesh (kube-proxy
// balances per connection). Pure and synchronous: the proxy asks for an endpoint
// for each request; least-request is told when requests start and end. Randomness
// is injected so tests are repeatable. The balance layer (layers/balance.ts) builds
// one per service.

export interface Endpoint {
  /** host:port of the pod's sidecar. */
  readonly address: string;
}

import type { Random } from '../src/random.js';
export type { Random };

export interface Balancer<E extends Endpoint = Endpoint> {
  /** The endpoint for one request; `key` is the hash key for consistent hashing. */
  pick(key?: string): E | undefined;
  /** Least-request bookkeeping; a no-op for the others. */
  started(e: E): void;
  finished(e: E): void;
}

const noBookkeeping = { started(): void {}, finished(): void {} };

export function roundRobin<E extends Endpoint>(endpoints: readonly E[]): Balancer<E> {
  let next = 0;
  return { ...noBookkeeping, pick: () => endpoints[next++ % Math.max(1, endpoints.length)] };
}

export function random<E extends Endpoint>(endpoints: readonly E[], rand: Random): Balancer<E> {
  return { ...noBookkeeping, pick: () => endpoints[Math.floor(rand() * endpoints.length)] };
}

/** Power of two choices (Envoy's LEAST_REQUEST default): two at random, the less busy wins. */
export function leastRequest<E extends Endpoint>(
  endpoints: readonly E[],
  rand: Random,
): Balancer<E> {
  const active = new Map<string, number>();
  const load = (e: E): number => active.get(e.address) ?? 0;
  return {
    pick() {
      if (endpoints.length < 2) return endpoints[0];
      const a = Math.floor(rand() * endpoints.length);
      const b = (a + 1 + Math.floor(rand() * (endpoints.length - 1))) % endpoints.length;
      return load(endpoints[a]!) <= load(endpoints[b]!) ? endpoints[a] : endpoints[b];
    },
    started: (e) => void active.set(e.address, load(e) + 1),
    finished: (e) => void active.set(e.address, Math.max(0, load(e) - 1)),
  };
}

/** 32-bit FNV-1a: fast, well spread for short keys; not for anything secret. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche (murmur3's fmix32) so nearby keys land far apart on the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Consistent hashing on a ring (Envoy's RING_HASH): each endpoint owns `vnodes`
 * points; a key goes to the first point at or after its hash. Removing an endpoint
 * moves only the keys it owned.
 */
export function ringHash<E extends Endpoint>(endpoints: readonly E[], vnodes = 160): Balancer<E> {
  const ring = endpoints
    .flatMap((e) =>
      Array.from({ length: vnodes }, (_, i) => ({ at: fnv1a(`${e.address}#${i}`), e })),
    )
    .sort((x, y) => x.at - y.at);
  return {
    ...noBookkeeping,
    pick(key = '') {
      if (ring.length === 0) return undefined;
      const h = fnv1a(key);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring[mid]!.at < h) lo = mid + 1;
        else hi = mid;
      }
      return ring[lo % ring.length]!.e;
    },
  };
}
