import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, renewalDelayMs, retryDelayMs } from './schedule.js';

describe('renewalDelayMs', () => {
  const opts = { fraction: 0.5, jitter: 0.1 };
  it('renews at half the remaining lifetime without jitter', () => {
    assert.equal(
      renewalDelayMs(0, 86_400_000, opts, () => 0.5),
      43_200_000,
    );
  });
  it('spreads by ±jitter', () => {
    assert.equal(
      renewalDelayMs(0, 1000, opts, () => 0),
      450,
    );
    assert.equal(
      renewalDelayMs(0, 1000, opts, () => 0.999999),
      549,
    );
  });
  it('is zero for an already-expired certificate', () => {
    assert.equal(
      renewalDelayMs(2000, 1000, opts, () => 0.5),
      0,
    );
  });
});

describe('backoffDelayMs', () => {
  const opts = { initialMs: 1000, maxMs: 60_000 };
  it('grows exponentially within bounds', () => {
    assert.equal(
      backoffDelayMs(0, opts, () => 0),
      500,
    );
    assert.equal(
      backoffDelayMs(0, opts, () => 1),
      1000,
    );
    assert.equal(
      backoffDelayMs(3, opts, () => 1),
      8000,
    );
  });
  it('is capped', () => {
    assert.equal(
      backoffDelayMs(50, opts, () => 1),
      60_000,
    );
  });
});

describe('waits have a floor with jitter (an expired issuer once made agents loop)', () => {
  it('renews no sooner than the floor, spread up to twice it', () => {
    const opts = { fraction: 0.5, jitter: 0.1, floorMs: 5000 };
    assert.equal(
      renewalDelayMs(2000, 1000, opts, () => 0),
      5000,
    );
    assert.equal(
      renewalDelayMs(2000, 1000, opts, () => 0.5),
      7500,
    );
    assert.equal(
      renewalDelayMs(0, 86_400_000, opts, () => 0.5),
      43_200_000,
      'above the floor: unchanged',
    );
  });

  it('retries after at least the floor, the backoff and the CA’s Retry-After', () => {
    const backoff = { initialMs: 100, maxMs: 400 };
    assert.equal(
      retryDelayMs({ attempt: 0, backoff, floorMs: 5000 }, () => 0),
      5000,
    );
    assert.equal(
      retryDelayMs({ attempt: 0, backoff, floorMs: 100, retryAfterMs: 30_000 }, () => 0),
      30_000,
    );
    assert.equal(
      retryDelayMs({ attempt: 9, backoff, floorMs: 5000, leftMs: 10 }, () => 0),
      5000,
      'a certificate about to expire does not pull the retry under the floor',
    );
  });
});
