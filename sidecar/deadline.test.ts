import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Deadline } from './deadline.js';
import type { TrySignal } from './try-signal.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const reasonOf = (s: TrySignal): string => s.reason.message;

describe('a request deadline and its tries on one timer', () => {
  it('aborts the request at its limit with a 504 reason', async () => {
    const d = new Deadline(20, undefined);
    const s = d.signal;
    await tick(60);
    assert.equal(s.aborted, true);
    assert.equal(reasonOf(s), 'upstream request timeout');
    assert.equal(d.expired, true);
    d.clear();
  });

  it('gives a try its own signal only when its limit comes first, and keeps the head', () => {
    const head = (): undefined => undefined;
    const d = new Deadline(10_000, { head });
    assert.equal(d.head, head);
    assert.notEqual(d.startTry(50), d.signal);
    d.endTry();
    // Not shorter than what is left of the request: the request's own signal, no timer.
    assert.equal(d.startTry(10_000), d.signal);
    assert.equal(d.startTry(undefined), d.signal);
    d.clear();
  });

  it('sets one timer for the request and a shorter try together', async () => {
    const setTimeoutSpy = mock.method(globalThis, 'setTimeout');
    try {
      const d = new Deadline(10_000, undefined);
      d.startTry(5000);
      await tick(0);
      // One for the deadline, one for tick() itself.
      assert.equal(setTimeoutSpy.mock.callCount(), 2);
      d.clear();
    } finally {
      setTimeoutSpy.mock.restore();
    }
  });

  it('times a try out alone, then lets the next try start fresh', async () => {
    const d = new Deadline(5000, undefined);
    const first = d.startTry(20);
    await tick(60);
    assert.equal(first.aborted, true);
    assert.equal(reasonOf(first), 'upstream per-try timeout');
    assert.equal(d.expired, false);
    d.endTry();
    const second = d.startTry(1000);
    assert.equal(second.aborted, false);
    assert.notEqual(second, first);
    d.clear();
  });

  it('stops the try in flight with the request reason when the request limit passes first', async () => {
    const d = new Deadline(20, undefined);
    const again = d.startTry(2000); // limited by the request (20 ms)
    await tick(80);
    assert.equal(again.aborted, true);
    assert.equal(reasonOf(again), 'upstream request timeout');
    // After the limit, a try starts already stopped.
    assert.equal(d.startTry(1000).aborted, true);
    d.clear();
  });

  it('limits tries without a request limit, and never fires once cleared', async () => {
    const d = new Deadline(undefined, undefined);
    const t = d.startTry(20);
    await tick(60);
    assert.equal(reasonOf(t), 'upstream per-try timeout');
    assert.equal(d.expired, false);
    const done = new Deadline(20, undefined);
    const s = done.signal;
    done.clear();
    await tick(60);
    assert.equal(s.aborted, false);
  });
});
