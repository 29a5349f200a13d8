import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then the steady rate, per key, with a wait in seconds', () => {
    let t = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 0.5, now: () => t });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [undefined, undefined, undefined, 2],
    );
    assert.equal(limiter.take('b'), undefined, 'another identity has its own bucket');
    t = 2000;
    assert.equal(limiter.take('a'), undefined, 'one request refilled after 2 s');
    assert.equal(limiter.take('a'), 2);
  });

  it('keeps at most maxKeys buckets', () => {
    let t = 0;
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, maxKeys: 2, now: () => t });
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    t = 0;
    assert.equal(limiter.take('a'), undefined, 'a was forgotten, so starts full');
    assert.equal(limiter.take('a'), 1);
  });
});
