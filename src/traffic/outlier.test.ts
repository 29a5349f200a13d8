// Outlier detection over scripted sequences, against Envoy's rules
// (outlier_detection_impl.cc): inline ejection at the threshold, readmission at
// the interval sweep, ejection time growing per ejection and shrinking per
// healthy interval, maxEjectionPercent with and without alwaysEjectOneHost, and
// minHealthPercent's panic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUTLIER_DEFAULTS } from './defaults.js';
import type { OutlierEvent, OutlierResult } from './outlier.js';
import { OutlierDetector } from './outlier.js';
import { manualClock } from './testing.js';
import type { OutlierSettings } from './types.js';

const DEFAULTS: OutlierSettings = { ...OUTLIER_DEFAULTS };
const S500: OutlierResult = { status: 500 };
const S503: OutlierResult = { status: 503 };
const OK: OutlierResult = { status: 200 };

function setup(endpoints: string[], settings: Partial<OutlierSettings> = {}) {
  const clock = manualClock();
  const d = new OutlierDetector({ ...DEFAULTS, ...settings }, clock);
  d.setEndpoints(endpoints);
  /** Record `n` results; the events they made. */
  const send = (address: string, r: OutlierResult, n = 1): OutlierEvent[] => {
    const out: OutlierEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = d.record(address, r);
      if (e) out.push(e);
    }
    return out;
  };
  /** Sweeps every interval from the next one through `until` (ms); the events, with their time. */
  const sweepUntil = (until: number): [number, OutlierEvent][] => {
    const out: [number, OutlierEvent][] = [];
    const interval = settings.intervalMs ?? DEFAULTS.intervalMs;
    for (let t = (Math.floor(clock() / interval) + 1) * interval; t <= until; t += interval) {
      clock.set(t);
      for (const e of d.sweep()) out.push([t, e]);
    }
    return out;
  };
  return { clock, d, send, sweepUntil };
}

describe('outlier detection (Envoy consecutive 5xx, Istio defaults)', () => {
  it('5 consecutive 5xx eject for 30 s; readmitted at the sweep; again at once: 60 s', () => {
    const { clock, d, send, sweepUntil } = setup([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
    ]);
    assert.deepEqual(send('a', S500, 4), []);
    assert.equal(d.isEjected('a'), false);
    assert.deepEqual(send('a', S500), [
      { type: 'ejected', address: 'a', reason: 'consecutive-5xx', forMs: 30_000, ejections: 1 },
    ]);
    assert.equal(d.isEjected('a'), true);
    // Sweeps at 10 s and 20 s leave it out; the one at 30 s lets it back.
    assert.deepEqual(sweepUntil(30_000), [[30_000, { type: 'readmitted', address: 'a' }]]);
    clock.set(35_000);
    assert.deepEqual(send('a', S500, 5), [
      { type: 'ejected', address: 'a', reason: 'consecutive-5xx', forMs: 60_000, ejections: 2 },
    ]);
    // 60 s from 35 s is 95 s: the first sweep after that is at 100 s.
    assert.deepEqual(sweepUntil(100_000), [[100_000, { type: 'readmitted', address: 'a' }]]);
  });

  it('the multiplier shrinks by one per healthy interval: after two, back to 30 s', () => {
    const { clock, send, sweepUntil } = setup(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    send('a', S500, 5);
    sweepUntil(30_000);
    clock.set(31_000);
    assert.equal((send('a', S500, 5)[0] as { forMs: number }).forMs, 60_000);
    sweepUntil(100_000); // readmitted at 100 s (multiplier 2)
    sweepUntil(120_000); // healthy at 110 s and 120 s: 2 → 1 → 0
    clock.set(121_000);
    assert.equal((send('a', S500, 5)[0] as { forMs: number }).forMs, 30_000);
  });

  it('grows to maxEjectionTime (300 s) and stays there', () => {
    const { clock, d, send, sweepUntil } = setup([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'g',
      'h',
      'i',
      'j',
    ]);
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const [e] = send('a', S500, 5);
      const forMs = (e as { forMs: number }).forMs;
      times.push(forMs);
      // Sweep until it is back, then fail again before the next sweep can shrink the multiplier.
      while (d.isEjected('a')) sweepUntil(clock() + 10_000);
      clock.advance(1);
    }
    assert.deepEqual(
      times,
      [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300].map((s) => s * 1000),
    );
  });

  it('a success in between restarts the count', () => {
    const { d, send } = setup(['a']);
    send('a', S500, 4);
    send('a', OK);
    send('a', S500, 4);
    assert.equal(d.isEjected('a'), false);
  });

  it('failures to connect count as 503, timeouts as 504', () => {
    const { d, send } = setup(['a']);
    send('a', { localOrigin: 'connect-failure' }, 2);
    send('a', { localOrigin: 'reset' }, 2);
    send('a', { localOrigin: 'timeout' });
    assert.equal(d.isEjected('a'), true);
  });

  it('4xx are not failures', () => {
    const { d, send } = setup(['a']);
    send('a', { status: 404 }, 50);
    assert.equal(d.isEjected('a'), false);
  });

  it('consecutiveGatewayErrors counts only 502/503/504; another 5xx restarts it', () => {
    const { d, send } = setup(['a', 'b'], {
      consecutive5xxErrors: 0,
      consecutiveGatewayErrors: 3,
      maxEjectionPercent: 100,
    });
    send('a', S503, 2);
    send('a', S500);
    send('a', S503, 2);
    assert.equal(d.isEjected('a'), false);
    assert.deepEqual(send('a', { status: 504 }), [
      {
        type: 'ejected',
        address: 'a',
        reason: 'consecutive-gateway-errors',
        forMs: 30_000,
        ejections: 1,
      },
    ]);
    // consecutive5xxErrors 0: plain 500s never eject.
    send('b', S500, 100);
    assert.equal(d.isEjected('b'), false);
  });

  it('results from an ejected endpoint change nothing', () => {
    const { d, send } = setup(['a', 'b'], { maxEjectionPercent: 100 });
    send('a', S500, 5);
    assert.deepEqual(send('a', S500, 10), []);
    assert.equal(d.ejectedCount(), 1);
  });
});

describe('maxEjectionPercent and minHealthPercent', () => {
  it('10 % of 3 endpoints still ejects one (alwaysEjectOneHost, weft default), and only one', () => {
    const { d, send } = setup(['a', 'b', 'c']);
    assert.equal(send('a', S500, 5)[0]?.type, 'ejected');
    assert.deepEqual(send('b', S500, 5), [
      { type: 'overflow', address: 'b', reason: 'consecutive-5xx' },
    ]);
    assert.equal(d.ejectedCount(), 1);
  });

  it("Envoy's own default (alwaysEjectOneHost false): 100 × 1/3 > 10 ejects none", () => {
    const { d, send } = setup(['a', 'b', 'c'], { alwaysEjectOneHost: false });
    assert.deepEqual(send('a', S500, 5), [
      { type: 'overflow', address: 'a', reason: 'consecutive-5xx' },
    ]);
    assert.equal(d.ejectedCount(), 0);
  });

  it('counts the endpoint about to be ejected: 50 % of 4 ejects two, not three', () => {
    const { d, send } = setup(['a', 'b', 'c', 'd'], { maxEjectionPercent: 50 });
    for (const a of ['a', 'b', 'c']) send(a, S500, 5);
    assert.deepEqual(
      ['a', 'b', 'c'].map((a) => d.isEjected(a)),
      [true, true, false],
    );
  });

  it('a refused ejection restarts the count: five more failures to try again', () => {
    const { d, send, sweepUntil } = setup(['a', 'b', 'c']);
    send('a', S500, 5);
    send('b', S500, 5); // overflow
    sweepUntil(30_000); // a readmitted
    send('b', S500, 4);
    assert.equal(d.isEjected('b'), false);
    send('b', S500);
    assert.equal(d.isEjected('b'), true);
  });

  it('balances over the healthy endpoints; none healthy and minHealthPercent 0: none (503 UH)', () => {
    const { d, send } = setup(['a'], {});
    const eps = [{ address: 'a' }];
    assert.deepEqual(d.available(eps), { endpoints: eps, panic: false });
    send('a', S500, 5);
    assert.deepEqual(d.available(eps), { endpoints: [], panic: false });
  });

  it('below minHealthPercent healthy, every endpoint is used (panic)', () => {
    const { d, send } = setup(['a', 'b', 'c', 'd'], {
      maxEjectionPercent: 100,
      minHealthPercent: 50,
    });
    const eps = ['a', 'b', 'c', 'd'].map((address) => ({ address }));
    send('a', S500, 5);
    send('b', S500, 5);
    assert.deepEqual(d.available(eps), { endpoints: eps.slice(2), panic: false }); // 50 % healthy: not below
    send('c', S500, 5);
    assert.deepEqual(d.available(eps), { endpoints: eps, panic: true });
  });

  it('endpoints that go away are forgotten; new ones start healthy', () => {
    const { d, send } = setup(['a', 'b'], { maxEjectionPercent: 100 });
    send('a', S500, 5);
    d.setEndpoints(['b', 'c']);
    assert.equal(d.ejectedCount(), 0);
    assert.equal(d.isEjected('c'), false);
    assert.equal(d.record('a', S500), undefined);
  });
});
