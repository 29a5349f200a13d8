// Fault decisions: percentages within a binomial tolerance over seeded
// randomness, delay and abort independent, absent percentage never, the flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideFault } from './fault.js';
import { formatFlags, mergeFlags } from './flags.js';
import { scripted, seeded } from './testing.js';

/** |observed - expected| within 4.5 standard deviations of Binomial(n, p). */
function withinBinomial(hits: number, n: number, p: number): boolean {
  return Math.abs(hits - n * p) <= 4.5 * Math.sqrt(n * p * (1 - p));
}

describe('fault injection (Istio semantics)', () => {
  it('abort 50 % lands within binomial tolerance over 10 000 requests', () => {
    const random = seeded(50);
    const f = { abort: { httpStatus: 503, percentage: 50 } };
    let aborted = 0;
    for (let i = 0; i < 10_000; i++) if (decideFault(f, random)?.abort) aborted++;
    assert.ok(withinBinomial(aborted, 10_000, 0.5), `${aborted} aborted`);
  });

  it('delay 10 % and abort 0.1 % land within tolerance, independently', () => {
    const random = seeded(10);
    const f = { delay: { ms: 100, percentage: 10 }, abort: { grpcStatus: 14, percentage: 0.1 } };
    let delayed = 0;
    let aborted = 0;
    let both = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const d = decideFault(f, random);
      if (d?.delayMs) delayed++;
      if (d?.abort) aborted++;
      if (d?.delayMs && d.abort) both++;
    }
    assert.ok(withinBinomial(delayed, n, 0.1), `${delayed} delayed`);
    assert.ok(withinBinomial(aborted, n, 0.001), `${aborted} aborted`);
    assert.ok(withinBinomial(both, n, 0.0001), `${both} both`);
  });

  it('percentage 0 (what an absent one compiles to) never fires; 100 always does', () => {
    const random = seeded(1);
    for (let i = 0; i < 1000; i++) {
      assert.equal(decideFault({ delay: { ms: 5, percentage: 0 } }, random), undefined);
      assert.deepEqual(decideFault({ abort: { httpStatus: 500, percentage: 100 } }, random), {
        delayMs: 0,
        abort: { httpStatus: 500 },
        flags: ['FI'],
      });
    }
  });

  it('delay and abort together: DI and FI, the delay first, flags in Envoy order', () => {
    const d = decideFault(
      { delay: { ms: 250, percentage: 50 }, abort: { httpStatus: 418, percentage: 50 } },
      scripted([0.1, 0.2]),
    );
    assert.deepEqual(d, { delayMs: 250, abort: { httpStatus: 418 }, flags: ['DI', 'FI'] });
    assert.equal(formatFlags(d.flags), 'DI,FI');
  });

  it('draws the abort after the delay: a delay that misses still lets the abort fire', () => {
    const d = decideFault(
      { delay: { ms: 250, percentage: 50 }, abort: { grpcStatus: 14, percentage: 50 } },
      scripted([0.9, 0.1]),
    );
    assert.deepEqual(d, { delayMs: 0, abort: { grpcStatus: 14 }, flags: ['FI'] });
  });

  it('no fault configured: nothing, and no randomness used', () => {
    let calls = 0;
    assert.equal(
      decideFault(undefined, () => {
        calls++;
        return 0;
      }),
      undefined,
    );
    assert.equal(calls, 0);
  });
});

describe('response flags', () => {
  it('join in Envoy order, "-" when none', () => {
    assert.equal(formatFlags([]), '-');
    assert.equal(formatFlags(['URX', 'UO']), 'UO,URX');
    assert.equal(formatFlags(['FI', 'DI', 'UH', 'UT']), 'UH,UT,DI,FI');
    assert.equal(formatFlags(['UO', 'UO']), 'UO');
  });
});

describe('mergeFlags', () => {
  it("joins flags in Envoy's order, keeps ones it does not order, and '-' for none", () => {
    assert.equal(mergeFlags('-', 'FI'), 'FI');
    assert.equal(mergeFlags('FI', 'DI'), 'DI,FI');
    assert.equal(mergeFlags('URX', 'UO'), 'UO,URX');
    assert.equal(mergeFlags('DI', 'NC'), 'DI,NC');
    assert.equal(mergeFlags('-', '-'), '-');
    assert.equal(mergeFlags('UF', 'UF'), 'UF');
  });
});
