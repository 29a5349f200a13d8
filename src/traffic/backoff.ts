// Envoy's fully jittered exponential back-off between retries
// (JitteredExponentialBackOffStrategy): the n-th retry waits a uniform random
// time in [0, base * 2^(n-1)), the interval doubling until it reaches the cap
// (ten times the base unless set). With Istio's 25 ms base: 0-24 ms before the
// first retry, 0-49 ms before the second, then 0-99, 0-199, and 0-249 ms after.
import type { Random } from '../random.js';

export class RetryBackoff {
  private next: number;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: Random,
  ) {
    this.next = Math.max(1, baseMs);
  }

  /** Milliseconds to wait before the next retry of this request. */
  nextDelayMs(): number {
    const interval = this.next;
    this.next = this.next < this.maxMs / 2 ? this.next * 2 : Math.max(this.maxMs, 1);
    return Math.floor(this.random() * interval);
  }

  /** The upper bound (exclusive) of the next delay, for logs and tests. */
  nextIntervalMs(): number {
    return this.next;
  }

  reset(): void {
    this.next = Math.max(1, this.baseMs);
  }
}
