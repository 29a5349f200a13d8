import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs, renewalDelayMs } from './schedule.js';

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
