// Linkerd's retry budget (retryRatio 0.2, minRetriesPerSecond 10, ttl 10 s) over
// scripted traffic: 100 retries a quiet 10 s (10/s), plus one per five requests,
// and the allowance coming back as the window slides.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget } from './budget.js';
import { BUDGET_DEFAULTS } from './defaults.js';
import { manualClock } from './testing.js';

const withdrawAll = (b: RetryBudget, max = 100_000): number => {
  let n = 0;
  while (n < max && b.tryRetry()) n++;
  return n;
};

describe('retry budget (Linkerd defaults)', () => {
  it('a quiet client may retry 10/s over the ttl: 100, then no more', () => {
    const b = new RetryBudget({ ...BUDGET_DEFAULTS }, manualClock(1_000_000));
    assert.equal(b.remaining(), 100);
    assert.equal(withdrawAll(b), 100);
    assert.equal(b.tryRetry(), false);
  });

  it('plus 20 % of the requests: 1000 requests allow 100 + 200 retries', () => {
    const b = new RetryBudget({ ...BUDGET_DEFAULTS }, manualClock(1_000_000));
    for (let i = 0; i < 1000; i++) b.deposit();
    assert.equal(withdrawAll(b), 300);
  });

  it('one retry per five requests exactly (0.2 × 5 = 1, no rounding loss)', () => {
    const b = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0, ttlMs: 10_000 }, manualClock());
    for (let i = 0; i < 4; i++) b.deposit();
    assert.equal(b.tryRetry(), false);
    b.deposit();
    assert.equal(b.tryRetry(), true);
    assert.equal(b.tryRetry(), false);
  });

  it('an always-failing backend at 100 req/s: retries stay ≤ 20 % + 10/s over any 10 s', () => {
    const clock = manualClock(0);
    const b = new RetryBudget({ ...BUDGET_DEFAULTS }, clock);
    let requests = 0;
    let retries = 0;
    for (let ms = 0; ms < 60_000; ms += 10) {
      clock.set(ms);
      b.deposit();
      requests++;
      // Each request would retry twice (Istio's default attempts) if allowed.
      for (let i = 0; i < 2; i++) if (b.tryRetry()) retries++;
    }
    // Without the budget: 12 000 retries. With it: the first window spends the
    // reserve, then each window allows 100 + 20 % of 1000.
    assert.ok(
      retries <= 0.2 * requests + 10 * 60 + 100,
      `${retries} retries for ${requests} requests`,
    );
    assert.ok(retries >= 0.2 * requests, `${retries} retries for ${requests} requests`);
  });

  it('withdrawals expire with the ttl: the allowance comes back a slot at a time', () => {
    const clock = manualClock(0);
    const b = new RetryBudget({ ...BUDGET_DEFAULTS }, clock);
    assert.equal(withdrawAll(b), 100);
    clock.set(9_999); // still inside the window
    assert.equal(b.tryRetry(), false);
    clock.set(10_000); // the slot of t=0 has expired
    assert.equal(withdrawAll(b), 100);
  });

  it('deposits expire too: requests from over a ttl ago allow nothing', () => {
    const clock = manualClock(0);
    const b = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0, ttlMs: 10_000 }, clock);
    for (let i = 0; i < 50; i++) b.deposit();
    clock.set(5_000);
    assert.equal(b.remaining(), 10);
    clock.set(10_000);
    assert.equal(b.remaining(), 0);
  });

  it('ratio 0 and min 0: never a retry', () => {
    const b = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, ttlMs: 1000 }, manualClock());
    for (let i = 0; i < 100; i++) b.deposit();
    assert.equal(b.tryRetry(), false);
  });

  it('a clock that steps back keeps the window', () => {
    const clock = manualClock(50_000);
    const b = new RetryBudget({ ...BUDGET_DEFAULTS }, clock);
    withdrawAll(b);
    clock.set(1_000);
    assert.equal(b.tryRetry(), false);
  });
});
