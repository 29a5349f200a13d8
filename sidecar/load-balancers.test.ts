import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leastRequest, random, ringHash, roundRobin } from './load-balancers.js';
import type { Endpoint } from './load-balancers.js';

const eps = (n: number): Endpoint[] =>
  Array.from({ length: n }, (_, i) => ({ address: `10.1.0.${i + 1}:15006` }));

/** A seeded PRNG (mulberry32) so distributions are repeatable. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function counts(pick: () => Endpoint | undefined, n: number): Map<string, number> {
  const c = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = pick()!;
    c.set(e.address, (c.get(e.address) ?? 0) + 1);
  }
  return c;
}

describe('load balancers', () => {
  it('round robin visits every endpoint in turn', () => {
    const b = roundRobin(eps(3));
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.pick()!.address.split(':')[0]),
      ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.1'],
    );
    assert.equal(roundRobin([]).pick(), undefined);
  });

  it('random spreads evenly (within 10 % over 30k picks)', () => {
    const b = random(eps(3), seeded(7));
    for (const v of counts(() => b.pick(), 30_000).values())
      assert.ok(Math.abs(v - 10_000) < 1000, String(v));
  });

  it('least request avoids the busy endpoint', () => {
    const list = eps(3);
    const b = leastRequest(list, seeded(3));
    for (let i = 0; i < 50; i++) b.started(list[0]!);
    const c = counts(() => b.pick(), 3000);
    assert.equal(
      c.get(list[0]!.address) ?? 0,
      0,
      'the endpoint with 50 in flight is never chosen over an idle one',
    );
    for (let i = 0; i < 50; i++) b.finished(list[0]!);
    assert.ok((counts(() => b.pick(), 3000).get(list[0]!.address) ?? 0) > 500);
  });

  it('ring hash is stable per key and spreads keys', () => {
    const b = ringHash(eps(5));
    assert.equal(b.pick('user-42'), b.pick('user-42'));
    const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);
    const spread = new Map<string, number>();
    for (const k of keys) {
      const a = b.pick(k)!.address;
      spread.set(a, (spread.get(a) ?? 0) + 1);
    }
    assert.equal(spread.size, 5);
    for (const v of spread.values()) assert.ok(v > 2500 && v < 5500, `uneven: ${v}`);
  });

  it('ring hash moves only the removed endpoint’s keys', () => {
    const all = eps(5);
    const before = ringHash(all);
    const after = ringHash(all.filter((e) => e.address !== all[2]!.address));
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const k = `cookie-${i}`;
      const was = before.pick(k)!.address;
      const now = after.pick(k)!.address;
      if (was !== all[2]!.address) assert.equal(now, was, `key ${k} moved without cause`);
      else moved++;
    }
    assert.ok(moved > 1200 && moved < 2800, `about a fifth of the keys move: ${moved}`);
  });
});
