import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Block } from './sidecar-blocks.js';
import { median, paired, schedule, summarize } from './sidecar-blocks.js';

const block = (round: number, cpuPer1000: number, p99: number): Block => ({
  round,
  p50: p99 / 2,
  p90: p99 * 0.8,
  p99,
  max: p99 * 2,
  qps: 1000,
  requests: 2000,
  errors: 0,
  cpuPer1000,
});

describe('bench:sidecar blocks', () => {
  it('puts every row in every place once over as many rounds as rows', () => {
    const rounds = schedule(['a', 'b', 'c'], 3);
    assert.deepEqual(rounds, [
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
    ]);
    for (let place = 0; place < 3; place++)
      assert.deepEqual(new Set(rounds.map((r) => r[place])), new Set(['a', 'b', 'c']));
  });

  it('takes medians, leaving out what was not measured', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
    const s = summarize([block(0, 0.4, 10), block(1, 0.5, 30), block(2, 0.6, 20)]);
    assert.equal(s.p99, 20);
    assert.equal(s.cpuPer1000, 0.5);
    assert.equal(s.requests, 6000);
  });

  it('compares a row with the baseline within each round, not across the run', () => {
    // The machine gets busier round by round: both rows' figures climb together.
    const base = [block(0, 0.4, 10), block(1, 0.8, 20), block(2, 1.2, 40)];
    const row = [block(0, 0.42, 10.05), block(1, 0.84, 20.1), block(2, 1.26, 40.2)];
    const d = paired(row, base);
    assert.ok(Math.abs(d.addedCpuFraction - 0.05) < 1e-9);
    assert.ok(Math.abs(d.addedP99Ms - 0.1) < 1e-9);
    assert.equal(d.rounds.length, 3);
    // A round the baseline missed is left out.
    assert.equal(paired([...row, block(3, 9, 99)], base).rounds.length, 3);
  });
});
