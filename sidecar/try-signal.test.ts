import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { TryAbort } from './try-signal.js';
import type { TrySignal } from './try-signal.js';

describe("a try's signal", () => {
  it('runs each listener once, in order, with the reason set', () => {
    const a = new TryAbort();
    const seen: string[] = [];
    a.addEventListener('abort', () => seen.push(`first ${a.reason.message}`), { once: true });
    a.addEventListener('abort', () => seen.push(`second ${String(a.aborted)}`));
    assert.equal(a.aborted, false);
    a.abort(new Error('timeout'));
    a.abort(new Error('again'));
    assert.deepEqual(seen, ['first timeout', 'second true']);
    assert.equal(a.reason.message, 'timeout');
  });

  it('forgets a removed listener, and never runs one added after the abort', () => {
    const a = new TryAbort();
    let runs = 0;
    const count = (): void => void runs++;
    a.addEventListener('abort', count);
    a.removeEventListener('abort', count);
    a.removeEventListener('abort', count); // twice: nothing
    a.abort(new Error('x'));
    a.addEventListener('abort', count);
    assert.equal(runs, 0);
  });

  it('runs the other listeners when one throws, and rethrows it on the next tick', () => {
    const a = new TryAbort();
    let after = false;
    a.addEventListener('abort', () => {
      throw new Error('listener broke');
    });
    a.addEventListener('abort', () => void (after = true));
    // Caught here: the test runner would fail on a real uncaught exception.
    const later: (() => void)[] = [];
    const nextTick = mock.method(process, 'nextTick', (fn: () => void) => void later.push(fn));
    try {
      a.abort(new Error('stop'));
    } finally {
      nextTick.mock.restore();
    }
    assert.equal(after, true);
    assert.equal(later.length, 1);
    assert.throws(later[0]!, { message: 'listener broke' });
  });

  it('is what an AbortSignal is to its users, so either can stop a try', () => {
    const c = new AbortController();
    const s: TrySignal = c.signal;
    let ran = false;
    s.addEventListener('abort', () => void (ran = true), { once: true });
    c.abort(new Error('stop'));
    assert.equal(s.aborted && ran, true);
  });
});
