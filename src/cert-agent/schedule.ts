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
  opts: { fraction: number; jitter: number; floorMs?: number },
  random: Random,
): number {
  const lifetime = Math.max(0, notAfter - receivedAt);
  const spread = 1 + opts.jitter * (2 * random() - 1);
  return withFloor(Math.floor(lifetime * opts.fraction * spread), opts.floorMs ?? 0, random);
}

/** Default floor of every wait: a CA handing out near-expired certificates (or none) is not hammered. */
export const MIN_DELAY_MS = 5_000;

/**
 * `delayMs`, but never under `floorMs` (spread up to twice the floor, so agents
 * that all hit it do not come back together).
 */
export function withFloor(delayMs: number, floorMs: number, random: Random): number {
  if (delayMs >= floorMs) return delayMs;
  return Math.floor(floorMs * (1 + random()));
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

export interface RetryInputs {
  readonly attempt: number;
  readonly backoff: { initialMs: number; maxMs: number };
  /** The CA's Retry-After, if it sent one. */
  readonly retryAfterMs?: number | undefined;
  /** Time left on the certificate in use, if any: the retry comes before it expires. */
  readonly leftMs?: number | undefined;
  readonly floorMs: number;
}

/** The wait before retrying after a failure: backoff, at least the CA's Retry-After, floored and jittered. */
export function retryDelayMs(r: RetryInputs, random: Random): number {
  let delay = Math.max(backoffDelayMs(r.attempt, r.backoff, random), r.retryAfterMs ?? 0);
  if (r.leftMs !== undefined && r.leftMs > 0) delay = Math.min(delay, r.leftMs);
  return withFloor(delay, r.floorMs, random);
}
