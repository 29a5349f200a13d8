// retryOn parsing and the per-try decision (Envoy's retry-on semantics), and a
// request's retries against attempts and the budget, with the flags Envoy logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from './budget.js';
import { DEFAULT_RETRIES } from './compile.js';
import { RequestRetries } from './retry.js';
import type { TryOutcome } from './retry-on.js';
import { parseRetryOn, shouldRetry } from './retry-on.js';
import { manualClock, scripted } from './testing.js';

const on = (text: string) => {
  const p = parseRetryOn(text);
  assert.ok(p.ok);
  return p.retryOn;
};

const status = (s: number, grpcStatus?: number): TryOutcome => ({
  type: 'response',
  status: s,
  ...(grpcStatus !== undefined ? { grpcStatus } : {}),
});

type Row = [string, TryOutcome, boolean];

describe("Istio's default retryOn (connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes + 503)", () => {
  const rows: Row[] = [
    ['a failure to connect', { type: 'connect-failure' }, true],
    ['REFUSED_STREAM', { type: 'refused-stream' }, true],
    ['503', status(503), true],
    ['500', status(500), false],
    ['502', status(502), false],
    ['a reset after the request went', { type: 'reset', sent: true }, false],
    ['a per-try timeout', { type: 'timeout' }, false],
    ['gRPC UNAVAILABLE (14)', status(200, 14), true],
    ['gRPC CANCELLED (1)', status(200, 1), true],
    ['gRPC INTERNAL (13)', status(200, 13), false],
    ['200', status(200), false],
  ];
  for (const [name, outcome, want] of rows) {
    it(`${want ? 'retries' : 'does not retry'} ${name}`, () => {
      assert.equal(shouldRetry(DEFAULT_RETRIES.retryOn, outcome), want);
    });
  }
});

describe('retryOn conditions (Envoy x-envoy-retry-on / retry-grpc-on)', () => {
  const rows: [string, TryOutcome, boolean][] = [
    ['5xx', status(500), true],
    ['5xx', { type: 'reset', sent: true }, true],
    ['5xx', { type: 'timeout' }, true],
    ['5xx', status(429), false],
    ['gateway-error', status(504), true],
    ['gateway-error', status(500), false],
    ['gateway-error', { type: 'connect-failure' }, true],
    ['reset', { type: 'reset', sent: true }, true],
    ['reset', status(503), false],
    ['reset-before-request', { type: 'reset', sent: false }, true],
    ['reset-before-request', { type: 'reset', sent: true }, false],
    ['connect-failure', { type: 'reset', sent: false }, false],
    ['retriable-4xx', status(409), true],
    ['retriable-4xx', status(404), false],
    ['429', status(429), true],
    ['429', status(503), false],
    ['deadline-exceeded', status(200, 4), true],
    ['resource-exhausted', status(200, 8), true],
    ['internal', status(200, 13), true],
  ];
  for (const [text, outcome, want] of rows) {
    it(`${text}: ${JSON.stringify(outcome)} → ${want}`, () => {
      assert.equal(shouldRetry(on(text), outcome), want);
    });
  }

  it('names the token it does not know', () => {
    const p = parseRetryOn('5xx, connect-failure ,nope');
    assert.equal(p.ok, false);
    assert.match((p as { reason: string }).reason, /^"nope" is not a retry condition weft knows/);
    const q = parseRetryOn('5xx,700');
    assert.equal(q.ok, false);
    assert.match((q as { reason: string }).reason, /"700" is not a retry condition/);
  });
});

describe('a request’s retries: attempts, budget, back-off, flags', () => {
  const policy = { ...DEFAULT_RETRIES, attempts: 2 };

  it('retries twice on 503 with jittered back-off, then stops with URX', () => {
    const r = new RequestRetries(policy, undefined, scripted([0.5, 0.5]));
    assert.deepEqual(r.afterTry(status(503)), { retry: true, delayMs: 12, attempt: 1 });
    assert.deepEqual(r.afterTry(status(503)), { retry: true, delayMs: 25, attempt: 2 });
    assert.deepEqual(r.afterTry(status(503)), { retry: false, why: 'attempts-used', flag: 'URX' });
  });

  it('a non-retriable outcome ends it with no flag', () => {
    const r = new RequestRetries(policy, undefined, scripted([]));
    assert.deepEqual(r.afterTry(status(500)), {
      retry: false,
      why: 'not-retriable',
      flag: undefined,
    });
  });

  it('no policy or attempts 0: never', () => {
    assert.equal(
      new RequestRetries(undefined, undefined, scripted([])).afterTry(status(503)).retry,
      false,
    );
    assert.equal(
      new RequestRetries({ ...policy, attempts: 0 }, undefined, scripted([])).afterTry(status(503))
        .retry,
      false,
    );
  });

  it('the budget says no: UO, as Envoy flags a retry overflow', () => {
    const budget = new RetryBudget(
      { ratio: 0, minRetriesPerSecond: 0, ttlMs: 10_000 },
      manualClock(),
    );
    const r = new RequestRetries(policy, budget, scripted([]));
    assert.deepEqual(r.afterTry(status(503)), { retry: false, why: 'budget', flag: 'UO' });
  });

  it('a backend that always fails: the budget caps retries at 20 % + the reserve', () => {
    const clock = manualClock(0);
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 10, ttlMs: 10_000 }, clock);
    let retries = 0;
    for (let i = 0; i < 1000; i++) {
      const r = new RequestRetries(policy, budget, scripted([]));
      while (r.afterTry({ type: 'connect-failure' }).retry) retries++;
    }
    // All within one window: 100 (10/s × 10 s) + 20 % of 1000.
    assert.equal(retries, 300);
  });
});
