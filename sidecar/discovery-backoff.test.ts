import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_CAP_MS, nextBackoffMs } from './discovery-backoff.js';

describe('discovery reconnect backoff', () => {
  it('grows exponentially, stays under the cap, and is jittered', () => {
    const most = (max: number): number => max - 1;
    assert.equal(nextBackoffMs(0, most), 199);
    assert.equal(nextBackoffMs(3, most), 1599);
    assert.equal(nextBackoffMs(50, most), BACKOFF_CAP_MS - 1);
    assert.equal(
      nextBackoffMs(50, () => 0),
      100,
    );
    const seen = new Set(Array.from({ length: 20 }, () => nextBackoffMs(5)));
    assert.ok(seen.size > 1, 'jittered');
    for (const d of seen) assert.ok(d >= 100 && d < 6400, String(d));
  });
});
