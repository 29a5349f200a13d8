// When to renew and how long to wait after a failure: pure functions of time and
// a random source, so tests can pin them.

import type { Random } from '../random.js';
export type { Random };

/**
 * Delay until renewal: `fraction` of the remaining lifetime measured from when the
 * certificate arrived (the CA backdates notBefore), spread by ±jitter so that pods
 * started together do not renew together.
 */
export function renewalDelayMs(
  receivedAt: number,
  notAfter: number,
  opts: { fraction: number; jitter: number },
  random: Random,
): number {
  const lifetime = Math.max(0, notAfter - receivedAt);
  const spread = 1 + opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.floor(lifetime * opts.fraction * spread));
}

/** Exponential backoff with full jitter (AWS architecture blog), capped. */
export function backoffDelayMs(
  attempt: number,
  opts: { initialMs: number; maxMs: number },
  random: Random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(opts.initialMs / 2 + random() * (ceiling - opts.initialMs / 2));
}
