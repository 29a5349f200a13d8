// One request's retries: after each failed try, may it go again? The try must
// have failed in a way retryOn names, attempts must be left, and the Service's
// retry budget must have room; the wait before it is Envoy's jittered back-off.
// A refusal carries the flag Envoy would log: URX when every attempt was used,
// UO when the budget (Envoy: the retry circuit breaker) said no.
import type { Random } from '../random.js';
import { RetryBackoff } from './backoff.js';
import type { RetryBudget } from './budget.js';
import type { RetryOn, TryOutcome } from './retry-on.js';
import { shouldRetry } from './retry-on.js';

/** The retry policy one request runs under (see effectiveResilience). */
export interface EffectiveRetry {
  /** Retries after the first try. */
  readonly attempts: number;
  readonly retryOn: RetryOn;
  readonly perTryTimeoutMs: number | undefined;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export type RetryVerdict =
  | { readonly retry: true; readonly delayMs: number; readonly attempt: number }
  | {
      readonly retry: false;
      readonly why: 'not-retriable' | 'attempts-used' | 'budget';
      readonly flag: 'URX' | 'UO' | undefined;
    };

export class RequestRetries {
  private retried = 0;
  private readonly backoff: RetryBackoff;

  /** Deposits this request in the budget (retries never deposit). */
  constructor(
    private readonly policy: EffectiveRetry | undefined,
    private readonly budget: RetryBudget | undefined,
    random: Random,
  ) {
    budget?.deposit();
    this.backoff = new RetryBackoff(policy?.backoffBaseMs ?? 1, policy?.backoffMaxMs ?? 1, random);
  }

  /** The last try ended like this; retry it? */
  afterTry(outcome: TryOutcome): RetryVerdict {
    const p = this.policy;
    if (!p || p.attempts === 0 || !shouldRetry(p.retryOn, outcome)) {
      return { retry: false, why: 'not-retriable', flag: undefined };
    }
    if (this.retried >= p.attempts) return { retry: false, why: 'attempts-used', flag: 'URX' };
    if (this.budget && !this.budget.tryRetry()) return { retry: false, why: 'budget', flag: 'UO' };
    this.retried++;
    return { retry: true, delayMs: this.backoff.nextDelayMs(), attempt: this.retried };
  }

  retries(): number {
    return this.retried;
  }
}
