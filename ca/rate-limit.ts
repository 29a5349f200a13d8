// Per-identity rate limit for issuance: a token bucket per key (a burst, then a
// steady rate). Buckets are kept in a bounded map, least recently used out first;
// a forgotten bucket starts full again, which only ever errs towards serving.

export interface RateLimitOptions {
  /** Requests allowed at once from a full bucket. */
  readonly burst: number;
  /** Steady refill, requests per second. */
  readonly perSecond: number;
  /** Keys remembered; default 10 000. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly opts: RateLimitOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Takes one request for `key`: undefined if allowed, else whole seconds to wait. */
  take(key: string): number | undefined {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: t };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    // Re-insert so Map order is least recently used first.
    this.buckets.delete(key);
    if (this.buckets.size >= (this.opts.maxKeys ?? 10_000)) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
  }
}
