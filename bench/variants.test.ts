import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, parseStraceSummary, parseVariants, schedule } from './variants.js';

describe('bench:variants WEFT_VARIANTS', () => {
  it('is this build as injected when unset', () => {
    assert.deepEqual(parseVariants(undefined), [{ name: 'this-build' }]);
  });

  it('takes a list of builds and NODE_OPTIONS', () => {
    const text = JSON.stringify([
      { name: 'main', bin: '/tmp/base/dist/cli/weft.js' },
      { name: 'semi1', nodeOptions: '--max-semi-space-size=1' },
      { name: 'stgc', nodeArgs: '--single-threaded-gc' },
    ]);
    assert.deepEqual(parseVariants(text), [
      { name: 'main', bin: '/tmp/base/dist/cli/weft.js' },
      { name: 'semi1', nodeOptions: '--max-semi-space-size=1' },
      { name: 'stgc', nodeArgs: '--single-threaded-gc' },
    ]);
  });

  it('refuses what it cannot run, naming the place', () => {
    assert.throws(() => parseVariants('[{'), { message: 'WEFT_VARIANTS is not JSON' });
    assert.throws(() => parseVariants('[{"name":"a","flags":"x"}]'), /WEFT_VARIANTS\[0\]/);
    assert.throws(() => parseVariants('[{"name":"a b"}]'), /WEFT_VARIANTS\[0\.name\]/);
    assert.throws(() => parseVariants('[{"name":"a"},{"name":"a"}]'), {
      message: 'WEFT_VARIANTS: the name a is used twice',
    });
  });
});

describe('bench:variants schedule and median', () => {
  it('alternates the variants round by round', () => {
    assert.deepEqual(
      schedule(['a', 'b'], 2).map((s) => `${s.round}${s.v}`),
      ['0a', '0b', '1a', '1b'],
    );
  });

  it('takes the median of the finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, NaN, 2, 3]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('bench:variants syscall counts', () => {
  it("reads strace -c's calls column by name, without the total", () => {
    const summary = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 61.20    0.021540           4      5012           writev',
      ' 20.11    0.007078           1      5301       301 read',
      '  0.01    0.000004           4         1           epoll_ctl',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.035196           3     10314       301 total',
    ].join('\n');
    assert.deepEqual(parseStraceSummary(summary), { writev: 5012, read: 5301, epoll_ctl: 1 });
  });
});
