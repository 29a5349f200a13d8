// The rule's retries and per-try timeout (`retry`, `timeouts.backendRequest`); where
// the rule sets no retry, the Service's TrafficPolicy retries (Istio's defaults when
// it has none: 2 retries on connect failures and 503), and the Service's retry budget
// caps both (a refused retry lets the answer through, flagged UO).
// Each try goes through balance again, so it may land on another endpoint. A try
// is repeated only while nothing of it reached the client: an answer with a listed
// status is dropped at its head (the forwarder cancels it), a connection that never
// opened, or a per-try timeout when 504 is listed. Only a request that has no body,
// or whose body is held (request-body.ts) whole or, streamed, every byte so far, is
// ever retried: anything else cannot be sent twice. Whether a streamed body is still
// held is asked when a try fails, as the first try may have outgrown the bound: then
// the failure (or the listed answer) goes to the client. The request timeout
// (timeout.ts) bounds the waits too; a try's limit shares its Deadline
// (../deadline.ts): one timer and, when the try's limit ends first, one controller
// per try.
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { Deadline } from '../deadline.js';
import { clientGone } from '../exchange.js';
import type { Exchange, Handler, Layer, UpstreamTry } from '../exchange.js';
import { RetryBackoff, mergeFlags } from '../../src/traffic/index.js';
import {
  backoffDelay,
  retriableAnswer,
  retriableFailure,
  retryPolicy,
  trafficRetryPolicy,
} from '../retry-policy.js';
import type { RetryPolicy } from '../retry-policy.js';
import { replayable } from './request-body.js';
import type { TrySignal } from '../try-signal.js';

export type Sleep = (ms: number, signal: TrySignal | undefined) => Promise<void>;

/** A timer that the request timeout cuts short (rejecting with its reason). */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });

/** May one more try go? The budget's say (a refusal is Envoy's retry overflow, UO). */
function budgetAllows(ex: Exchange, p: RetryPolicy): boolean {
  if (!p.budget || p.budget.tryRetry()) return true;
  ex.flags = mergeFlags(ex.flags, 'UO');
  return false;
}

/**
 * After a failed try: 'again' when another may follow (the budget permitting). When
 * the last of several tries fails as the earlier ones were retried, the retries are
 * spent: Envoy logs "UF,URX" (or "UT,URX"), so URX is noted here and the rescue
 * layer adds the failure's flag.
 */
function afterFailure(
  err: unknown,
  ex: Exchange,
  p: RetryPolicy,
  at: { readonly last: boolean; readonly stopped: boolean },
): 'again' | undefined {
  if (at.stopped || !retriableFailure(err, p)) return undefined;
  if (!at.last && !ex.res.headersSent && replayable(ex)) {
    return budgetAllows(ex, p) ? 'again' : undefined;
  }
  if (at.last && p.tries > 1) ex.flags = mergeFlags(ex.flags, 'URX');
  return undefined;
}

/** One try: 'again' when it may be repeated and should be; throws what cannot be. */
async function attempt(
  next: Handler,
  ex: Exchange,
  p: RetryPolicy,
  { last, deadline }: { last: boolean; deadline: Deadline | undefined },
): Promise<'done' | 'again'> {
  const outer: UpstreamTry = ex.upstreamTry ?? {};
  let dropped = false;
  ex.upstreamTry = {
    // The try's own limit only when it ends before the request's (deadline.ts).
    signal: deadline ? deadline.startTry(p.perTryMs) : outer.signal,
    head: (status, headers) => {
      if (retriableAnswer(p, status, headers)) {
        if (!last && replayable(ex) && budgetAllows(ex, p)) {
          dropped = true;
          return undefined;
        }
        // Retries spent on a listed status: Envoy's "retry limit exceeded" flag.
        if (last && p.tries > 1) ex.flags = mergeFlags(ex.flags, 'URX');
      }
      return outer.head ? outer.head(status, headers) : headers;
    },
  };
  try {
    await next(ex);
    return dropped ? 'again' : 'done';
  } catch (err) {
    const stopped = (deadline ? deadline.expired : outer.signal?.aborted) === true;
    if (afterFailure(err, ex, p, { last, stopped })) return 'again';
    throw err;
  } finally {
    deadline?.endTry();
    ex.upstreamTry = outer;
  }
}

/**
 * The retries for this request: with a TrafficPolicy state (the outbound stack),
 * the route's or the policy's (trafficRetryPolicy), the request counted in the
 * Service's budget; without one, the route's alone.
 */
function policyOf(ex: Exchange): RetryPolicy | undefined {
  const plan = ex.plan;
  if (ex.upgrade) return undefined;
  const t = ex.traffic;
  if (t) {
    t.budget.deposit();
    const p = trafficRetryPolicy(plan, t.settings, t.budget, replayable(ex));
    return p && (p.tries > 1 || p.perTryMs) ? p : undefined;
  }
  if (!plan || (!plan.retry && !plan.timeouts.backendRequest)) return undefined;
  return retryPolicy(plan, replayable(ex));
}

interface Pace {
  /** The wait before retry n (n ≥ 1). */
  readonly delay: (n: number) => number;
  readonly wait: Sleep;
  /** The request's Deadline (timeout.ts), or the retry layer's own for per-try limits alone. */
  readonly deadline: Deadline | undefined;
}

/** The tries, each limited by the per-try timeout on the deadline, with back-off between. */
async function tries(next: Handler, ex: Exchange, p: RetryPolicy, pace: Pace): Promise<void> {
  for (let n = 1; n <= p.tries; n++) {
    // A client that left (an h2 stream reset during the back-off) gets no more tries.
    if (n > 1) {
      if (clientGone(ex)) return;
      await pace.wait(pace.delay(n - 1), ex.upstreamTry?.signal);
      if (clientGone(ex)) return;
    }
    const last = n === p.tries;
    if ((await attempt(next, ex, p, { last, deadline: pace.deadline })) === 'done') return;
  }
}

export const retry =
  (random: Random = secureRandom, wait: Sleep = sleep): Layer =>
  (next) =>
  async (ex) => {
    const p = policyOf(ex);
    if (!p) return next(ex);
    // Policy retries wait as Envoy does (fully jittered); made only when a retry happens.
    let jittered: RetryBackoff | undefined;
    const delay = (n: number): number =>
      p.backoffMaxMs !== undefined
        ? (jittered ??= new RetryBackoff(p.backoffMs, p.backoffMaxMs, random)).nextDelayMs()
        : backoffDelay(p, n, random);
    const outer = ex.upstreamTry;
    if (outer instanceof Deadline || !p.perTryMs) {
      const deadline = outer instanceof Deadline ? outer : undefined;
      return tries(next, ex, p, { delay, wait, deadline });
    }
    // Per-try limits without a request timeout: a Deadline of the layer's own.
    const own = new Deadline(undefined, outer);
    ex.upstreamTry = own;
    try {
      await tries(next, ex, p, { delay, wait, deadline: own });
    } finally {
      own.clear();
      ex.upstreamTry = outer;
    }
  };
