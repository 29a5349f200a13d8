// The timeout and retry layers' cost per request with the weft-retry row's rule
// (retries on 502/503/504, request timeout 10 s, per-try 5 s; never triggered),
// over a terminal that uses the try's signal as both forwarders do (reads
// `aborted`, adds an 'abort' listener). With WEFT_BENCH_BASE=<other build's dist>
// the same from that build, alternated in one process (bench/ab.ts).
// Run: npm run build && node dist/bench/retry-layers.js
import type { Exchange, Handler, Layer, ProxyRequest, ProxyResponse } from '../sidecar/exchange.js';
import { newExchange } from '../sidecar/exchange.js';
import * as retryNew from '../sidecar/layers/retry.js';
import * as timeoutNew from '../sidecar/layers/timeout.js';
import { ab, baseModule } from './ab.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

type Layers = { retry: typeof retryNew.retry; timeout: Layer };

const plan = {
  type: 'forward',
  retry: { attempts: 2, codes: [502, 503, 504], backoffMs: 25 },
  timeouts: { request: 10_000, backendRequest: 5000 },
} as unknown as Exchange['plan'];

/** What forward-pooled.ts does with the try (its listener is never removed: the signal dies with the try). */
const forwarder: Handler = (ex) => {
  const t = ex.upstreamTry;
  if (t?.signal?.aborted) return Promise.reject(t.signal.reason);
  t?.signal?.addEventListener('abort', () => undefined, { once: true });
  t?.head?.(200, {});
  return Promise.resolve();
};

const req = { method: 'GET', url: '/1k', headers: {} } as unknown as ProxyRequest;
const res = { headersSent: false } as unknown as ProxyResponse;
const conn = { direction: 'outbound', destination: { address: '0.0.0.0', port: 80 } };

function stack(l: Layers): () => Promise<void> {
  const handler = l.timeout(l.retry()(forwarder));
  return () => {
    const ex = newExchange(req, res, conn as Exchange['conn']);
    ex.plan = plan;
    return handler(ex);
  };
}

async function main(): Promise<void> {
  const now: Layers = { retry: retryNew.retry, timeout: timeoutNew.timeout };
  // The terminal alone, the same exchange: what is left is the two layers' own cost.
  const alone = (): Promise<void> => {
    const ex = newExchange(req, res, conn as Exchange['conn']);
    ex.plan = plan;
    return forwarder(ex);
  };
  const variants: Record<string, () => unknown> = { new: stack(now), none: alone };
  const baseRetry = await baseModule<typeof retryNew>('sidecar/layers/retry.js');
  const baseTimeout = await baseModule<typeof timeoutNew>('sidecar/layers/timeout.js');
  if (baseRetry && baseTimeout) {
    variants.base = stack({ retry: baseRetry.retry, timeout: baseTimeout.timeout });
  }
  await ab('timeout + retry layers, per request (not triggered)', variants, {
    n: N,
    rounds: ROUNDS,
  });
}

void main();
