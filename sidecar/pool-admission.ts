// A request's way through its Service's connection pool (TrafficPolicy
// `connectionPool`, Envoy's circuit breakers), with src/traffic's PoolGate doing
// the counting. HTTP/1.1 carries one request per connection at a time, so a
// request finds a ready connection while fewer than maxConnections requests are
// in flight; otherwise it waits (at most http1MaxPendingRequests of them) until
// one finishes. HTTP/2 multiplexes: only the in-flight limit applies. Over a
// limit: 503 with Envoy's UO flag at once, never an unbounded queue.
import { ErrorCode, WeftError } from '../src/errors.js';
import type { PoolLimit } from '../src/traffic/index.js';
import type { ServiceTraffic } from './traffic-state.js';
import type { TrySignal } from './try-signal.js';

const overflow = (t: ServiceTraffic, limit: PoolLimit): WeftError =>
  new WeftError(ErrorCode.UpstreamOverflow, `${t.service}: connection pool full (${limit})`);

/** Lets the first waiter go when a connection is free again. */
function wake(t: ServiceTraffic): void {
  if (t.waiters.length > 0 && t.gate.counts().active < t.settings.connectionPool.maxConnections) {
    t.waiters.shift()!();
  }
}

function waitTurn(t: ServiceTraffic, signal: TrySignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const go = (): void => {
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    const stop = (): void => {
      const i = t.waiters.indexOf(go);
      if (i >= 0) t.waiters.splice(i, 1);
      reject(signal!.reason);
    };
    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', stop, { once: true });
    t.waiters.push(go);
  });
}

/** Admits one try (or throws UO); the function returned must be called when it ends. */
export async function admit(
  t: ServiceTraffic,
  multiplexed: boolean,
  signal: TrySignal | undefined,
): Promise<() => void> {
  const { gate } = t;
  const ready = multiplexed || gate.counts().active < t.settings.connectionPool.maxConnections;
  const a = gate.request(ready);
  if (!a.admitted) throw overflow(t, a.limit);
  const closed = (): void => {
    if (a.connect) gate.connectionClosed();
  };
  const release = (): void => {
    gate.finished();
    closed();
    wake(t);
  };
  if (!a.queued) return release;
  try {
    await waitTurn(t, signal);
  } catch (err) {
    gate.cancelled();
    closed();
    throw err;
  }
  const b = gate.dispatched();
  if (!b.admitted) {
    closed();
    wake(t);
    throw overflow(t, b.limit);
  }
  return release;
}
