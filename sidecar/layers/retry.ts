// The rule's retries and per-try timeout (`retry`, `timeouts.backendRequest`).
// Each try goes through balance again, so it may land on another endpoint. A try
// is repeated only while nothing of it reached the client: an answer with a listed
// status is dropped at its head (the forwarder cancels it), a connection that never
// opened, or a per-try timeout when 504 is listed. Only a request whose body is held
// whole (request-body.ts) or that has none is ever retried: anything else cannot be
// sent twice. The request timeout (timeout.ts) bounds the waits too; a try's limit
// shares its Deadline (../deadline.ts): one timer and, when the try's limit ends
// first, one controller per try.
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { Deadline } from '../deadline.js';
import { clientGone } from '../exchange.js';
import type { Exchange, Handler, Layer, UpstreamTry } from '../exchange.js';
import { backoffDelay, retriableFailure, retryPolicy } from '../retry-policy.js';
import type { RetryPolicy } from '../retry-policy.js';
import { replayable } from './request-body.js';

export type Sleep = (ms: number, signal: AbortSignal | undefined) => Promise<void>;

/** A timer that the request timeout cuts short (rejecting with its reason). */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });

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
      if (p.codes.has(status) && !last) {
        dropped = true;
        return undefined;
      }
      // Retries spent on a listed status: Envoy's "retry limit exceeded" flag.
      if (p.codes.has(status) && p.tries > 1) ex.flags = 'URX';
      return outer.head ? outer.head(status, headers) : headers;
    },
  };
  try {
    await next(ex);
    return dropped ? 'again' : 'done';
  } catch (err) {
    const timedOut = deadline ? deadline.expired : outer.signal?.aborted;
    const mayRepeat = !last && !timedOut && !ex.res.headersSent;
    if (mayRepeat && retriableFailure(err, p)) return 'again';
    throw err;
  } finally {
    deadline?.endTry();
    ex.upstreamTry = outer;
  }
}

interface Pace {
  readonly random: Random;
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
      await pace.wait(backoffDelay(p, n - 1, pace.random), ex.upstreamTry?.signal);
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
    const plan = ex.plan;
    if (!plan || ex.upgrade || (!plan.retry && !plan.timeouts.backendRequest)) return next(ex);
    const p = retryPolicy(plan, replayable(ex));
    const outer = ex.upstreamTry;
    if (outer instanceof Deadline || !p.perTryMs) {
      const deadline = outer instanceof Deadline ? outer : undefined;
      return tries(next, ex, p, { random, wait, deadline });
    }
    // Per-try limits without a request timeout: a Deadline of the layer's own.
    const own = new Deadline(undefined, outer);
    ex.upstreamTry = own;
    try {
      await tries(next, ex, p, { random, wait, deadline: own });
    } finally {
      own.clear();
      ex.upstreamTry = outer;
    }
  };
