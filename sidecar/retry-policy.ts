// A rule's retry and per-try timeout as numbers the retry layer runs, and the
// pure choices it makes: whether a failed try may be repeated and how long to wait.
// Gateway API (GEP-1731): `attempts` is the number of retries after the first try,
// `codes` the statuses that trigger one, `backoff` the minimum wait between tries.
import { ErrorCode, asWeftError } from '../src/errors.js';
import type { Random } from '../src/random.js';
import { shouldRetry } from '../src/traffic/index.js';
import type { RetryBudget, RetryOn, TrafficSettings, TryOutcome } from '../src/traffic/index.js';
import type { ForwardPlan } from './exchange.js';
import { isRefusedStream } from './upstream-errors.js';

/** Istio's defaults where the route leaves them out: 2 retries, 25 ms apart (Envoy's base). */
export const DEFAULT_ATTEMPTS = 2;
export const DEFAULT_BACKOFF_MS = 25;
/** Envoy's cap on exponential back-off: ten times the base interval. */
const MAX_BACKOFF_FACTOR = 10;

export interface RetryPolicy {
  /** Tries in all: 1 + retries; 1 when the request cannot be replayed. */
  readonly tries: number;
  readonly codes: ReadonlySet<number>;
  readonly backoffMs: number;
  /** timeouts.backendRequest: each try's limit (undefined or 0: none). */
  readonly perTryMs: number | undefined;
  /**
   * Set when no route retry applies: the TrafficPolicy's retries (or Istio's default)
   * decide with Envoy's retryOn, instead of `codes`.
   */
  readonly retryOn?: RetryOn | undefined;
  /** With retryOn: the cap of Envoy's fully jittered back-off (src/traffic RetryBackoff). */
  readonly backoffMaxMs?: number | undefined;
  /** The Service's retry budget: every retry takes from it; when empty, none goes (UO). */
  readonly budget?: RetryBudget | undefined;
}

const NO_CODES: ReadonlySet<number> = new Set();
// A rule's retry is compiled once: its codes become a set once, not per request.
const codeSets = new WeakMap<NonNullable<ForwardPlan['retry']>, ReadonlySet<number>>();

function codesOf(r: ForwardPlan['retry']): ReadonlySet<number> {
  if (!r) return NO_CODES;
  let codes = codeSets.get(r);
  if (!codes) codeSets.set(r, (codes = new Set(r.codes)));
  return codes;
}

/** The rule's retry; `budget`: the Service's, which caps it. */
export function retryPolicy(
  plan: ForwardPlan,
  replayable: boolean,
  budget?: RetryBudget,
): RetryPolicy {
  const r = plan.retry;
  const retries = r ? (r.attempts ?? DEFAULT_ATTEMPTS) : 0;
  return {
    tries: replayable ? 1 + retries : 1,
    codes: codesOf(r),
    backoffMs: r?.backoffMs ?? DEFAULT_BACKOFF_MS,
    perTryMs: plan.timeouts.backendRequest || undefined,
    budget,
  };
}

/**
 * The retries a request to a Service runs under, its TrafficPolicy (or weft's
 * defaults) known (src/traffic/precedence.ts): none when the Service has a fault
 * (Istio); the route's retry when its rule sets one; else the policy's, with the
 * rule's backendRequest timeout as the per-try timeout when it sets one. The
 * Service's budget caps both.
 */
export function trafficRetryPolicy(
  plan: ForwardPlan | undefined,
  settings: TrafficSettings,
  budget: RetryBudget,
  replayable: boolean,
): RetryPolicy | undefined {
  if (settings.fault) return undefined;
  // Not `{ ...retryPolicy(), budget }`: a spread with more properties after it is
  // slow to build on this per-request path (see src/routes/plan.ts).
  if (plan?.retry) return retryPolicy(plan, replayable, budget);
  const r = settings.retries;
  const backendRequest = plan?.timeouts.backendRequest;
  return {
    tries: replayable ? 1 + r.attempts : 1,
    codes: new Set(),
    backoffMs: r.backoffBaseMs,
    backoffMaxMs: r.backoffMaxMs,
    perTryMs: backendRequest !== undefined ? backendRequest || undefined : r.perTryTimeoutMs,
    retryOn: r.retryOn,
    budget,
  };
}

/**
 * Will the TrafficPolicy's retries (not a route's) run for this request, should its
 * tries fail? What trafficRetryPolicy decides, without building the policy.
 */
export function policyRetries(plan: ForwardPlan | undefined, settings: TrafficSettings): boolean {
  return !settings.fault && !plan?.retry && settings.retries.attempts > 0;
}

const grpcStatusOf = (headers: Record<string, unknown>): number | undefined => {
  const v = headers['grpc-status'];
  return typeof v === 'string' && /^[0-9]{1,2}$/.test(v) ? Number(v) : undefined;
};

/** Should an answer with this head be dropped for another try (attempts and budget aside)? */
export function retriableAnswer(
  p: RetryPolicy,
  status: number,
  headers: Record<string, unknown>,
): boolean {
  if (!p.retryOn) return p.codes.has(status);
  const grpcStatus = grpcStatusOf(headers);
  return shouldRetry(p.retryOn, {
    type: 'response',
    status,
    ...(grpcStatus !== undefined ? { grpcStatus } : {}),
  });
}

function outcomeOf(err: unknown): TryOutcome | undefined {
  const code = asWeftError(err).code;
  if (code === ErrorCode.UpstreamConnectFailed) return { type: 'connect-failure' };
  if (code === ErrorCode.UpstreamReset)
    return isRefusedStream(err) ? { type: 'refused-stream' } : { type: 'reset', sent: true };
  if (code === ErrorCode.UpstreamTimeout) return { type: 'timeout' };
  return undefined;
}

/**
 * A failure that nothing of reached the client, worth another try: the connection
 * never opened (nothing was sent), or a per-try timeout when 504 is a listed code
 * (Envoy answers a per-try timeout as a 504 too).
 */
export function retriableFailure(err: unknown, p: RetryPolicy): boolean {
  if (p.retryOn) {
    const o = outcomeOf(err);
    return o !== undefined && shouldRetry(p.retryOn, o);
  }
  const code = asWeftError(err).code;
  if (code === ErrorCode.UpstreamConnectFailed) return true;
  return code === ErrorCode.UpstreamTimeout && p.codes.has(504);
}

/**
 * The wait before retry `n` (1-based): the base doubled each time, capped at ten
 * times the base, plus up to half again of jitter; never below the route's backoff.
 */
export function backoffDelay(p: RetryPolicy, n: number, random: Random): number {
  const base = Math.min(p.backoffMs * 2 ** (n - 1), p.backoffMs * MAX_BACKOFF_FACTOR);
  return Math.round(base * (1 + random() / 2));
}
