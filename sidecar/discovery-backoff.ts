// Reconnect delays for the discovery stream: exponential from 200 ms, capped at
// 10 s, with full jitter (AWS's "exponential backoff and jitter"), so sidecars
// that lost the same replica do not all come back at the same instant.
import { randomInt } from 'node:crypto';

export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 10_000;

export function nextBackoffMs(attempt: number, pick: (max: number) => number = randomInt): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  // At least the base: a replica that is restarting is not hammered.
  return BACKOFF_BASE_MS / 2 + pick(Math.max(1, ceiling - BACKOFF_BASE_MS / 2));
}
