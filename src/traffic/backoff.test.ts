// Envoy's jittered exponential back-off with Istio's 25 ms base: uniform in
// [0, 25), [0, 50), [0, 100), [0, 200), then capped at [0, 250).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBackoff } from './backoff.js';
import { scripted, seeded } from './testing.js';

describe('retry back-off (Envoy JitteredExponentialBackOffStrategy)', () => {
  it('the interval doubles from the base up to ten times it', () => {
    const b = new RetryBackoff(25, 250, scripted([], 0.999999));
    const delays = Array.from({ length: 7 }, () => b.nextDelayMs());
    assert.deepEqual(delays, [24, 49, 99, 199, 249, 249, 249]);
  });

  it('random 0 gives no wait; the jitter is full (0 up to the interval)', () => {
    const b = new RetryBackoff(25, 250, scripted([0, 0.5, 0.5]));
    assert.deepEqual([b.nextDelayMs(), b.nextDelayMs(), b.nextDelayMs()], [0, 25, 50]);
  });

  it('a cap that is not a power of two times the base is reached, not passed', () => {
    const b = new RetryBackoff(100, 300, scripted([], 0.999999));
    assert.deepEqual(
      Array.from({ length: 4 }, () => b.nextDelayMs()),
      [99, 199, 299, 299],
    );
  });

  it('reset starts again from the base', () => {
    const b = new RetryBackoff(25, 250, scripted([], 0.999999));
    b.nextDelayMs();
    b.nextDelayMs();
    b.reset();
    assert.equal(b.nextIntervalMs(), 25);
  });

  it('first retries average half the base over seeded randomness', () => {
    const random = seeded(3);
    let sum = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) sum += new RetryBackoff(25, 250, random).nextDelayMs();
    // Uniform integers 0..24: mean 12, sd ≈ 7.2, sd of the mean ≈ 0.07.
    assert.ok(Math.abs(sum / n - 12) < 0.5, `mean ${sum / n}`);
  });
});
