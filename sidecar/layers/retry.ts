// The rule's retries and per-try timeout (`retry`, `timeouts.backendRequest`).
// Each try goes through balance again, so it may land on another endpoint. A try
// is repeated only while nothing of it reached the client: an answer with a listed
// status is dropped at its head (the forwarder cancels it), a connection that never
// opened, or a per-try timeout when 504 is listed. Only a request whose body is held
// whole (request-body.ts) or that has none is ever retried: anything else cannot be
// sent twice. The request timeout (timeout.ts) bounds the waits too.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
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

/**
 * After a failed try: 'again' when another may follow. When the last of several tries
 * fails as the earlier ones were retried, the retries are spent: Envoy logs "UF,URX"
 * (or "UT,URX"), so URX is noted here and the rescue layer adds the failure's flag.
 */
function afterFailure(
  err: unknown,
  ex: Exchange,
  p: RetryPolicy,
  at: { readonly last: boolean; readonly stopped: boolean },
): 'again' | undefined {
  if (at.stopped || !retriableFailure(err, p)) return undefined;
  if (!at.last && !ex.res.headersSent) return 'again';
  if (at.last && p.tries > 1) ex.flags = 'URX';
  return undefined;
}

/** One try: 'again' when it may be repeated and should be; throws what cannot be. */
async function attempt(
  next: Handler,
  ex: Exchange,
  p: RetryPolicy,
  last: boolean,
): Promise<'done' | 'again'> {
  const outer: UpstreamTry = ex.upstreamTry ?? {};
  const c = new AbortController();
  const cancel = (): void => c.abort(outer.signal?.reason);
  outer.signal?.addEventListener('abort', cancel, { once: true });
  if (outer.signal?.aborted) cancel();
  const perTry = p.perTryMs
    ? setTimeout(
        () => c.abort(new WeftError(ErrorCode.UpstreamTimeout, 'upstream per-try timeout')),
        p.perTryMs,
      )
    : undefined;
  let dropped = false;
  ex.upstreamTry = {
    ...outer,
    signal: c.signal,
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
    if (afterFailure(err, ex, p, { last, stopped: outer.signal?.aborted === true })) return 'again';
    throw err;
  } finally {
    clearTimeout(perTry);
    outer.signal?.removeEventListener('abort', cancel);
    ex.upstreamTry = outer;
  }
}

export const retry =
  (random: Random = secureRandom, wait: Sleep = sleep): Layer =>
  (next) =>
  async (ex) => {
    const plan = ex.plan;
    if (!plan || ex.upgrade || (!plan.retry && !plan.timeouts.backendRequest)) return next(ex);
    const p = retryPolicy(plan, replayable(ex));
    for (let n = 1; n <= p.tries; n++) {
      // A client that left (an h2 stream reset during the back-off) gets no more tries.
      if (n > 1) {
        if (clientGone(ex)) return;
        await wait(backoffDelay(p, n - 1, random), ex.upstreamTry?.signal);
        if (clientGone(ex)) return;
      }
      if ((await attempt(next, ex, p, n === p.tries)) === 'done') return;
    }
  };
