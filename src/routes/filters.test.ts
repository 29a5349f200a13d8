import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameOf, pickBackend } from './filters.js';
import { prefixTest, replacePrefix } from './path-match.js';
import type { BackendRef } from './types.js';

/** A small seeded PRNG (mulberry32): the same sequence every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const backend = (name: string, weight: number): BackendRef => ({
  group: '',
  kind: 'Service',
  namespace: 'mesh',
  name,
  port: 80,
  weight,
});

describe('ReplacePrefixMatch (the table in httproute_types.go, every row)', () => {
  const TABLE: [string, string, string, string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
  ];
  for (const [path, prefix, replacement, want] of TABLE) {
    it(`${path} | ${prefix} | ${replacement || '<empty>'} → ${want}`, () => {
      assert.equal(prefixTest(prefix)(path), true);
      assert.equal(replacePrefix(path, prefix, replacement), want);
    });
  }
  it('prefix "/" with "/xyz" prepends: /a → /xyz/a', () => {
    assert.equal(replacePrefix('/a', '/', '/xyz'), '/xyz/a');
  });
});

describe('PathPrefix', () => {
  it('matches whole elements only', () => {
    const t = prefixTest('/abc');
    assert.deepEqual(['/abc', '/abc/', '/abc/def', '/abcd', '/ab'].map(t), [
      true,
      true,
      true,
      false,
      false,
    ]);
  });
  it('"/" matches everything', () => {
    assert.equal(prefixTest('/')('/anything/at/all'), true);
  });
});

describe('hostnameOf', () => {
  it('drops the port, keeps IPv6 brackets', () => {
    assert.deepEqual(['echo', 'echo:8080', '[2001:db8::1]:80', '[2001:db8::1]'].map(hostnameOf), [
      'echo',
      'echo',
      '[2001:db8::1]',
      '[2001:db8::1]',
    ]);
  });
});

describe('weighted backends (seeded random)', () => {
  it('a 90/10 split lands within a binomial tolerance over 10 000 picks', () => {
    const random = seeded(14);
    const backends = [backend('v1', 90), backend('v2', 10)];
    const n = 10_000;
    let v2 = 0;
    for (let i = 0; i < n; i++) if (pickBackend(backends, random)?.name === 'v2') v2++;
    // 4.5 standard deviations of Binomial(10 000, 0.1): sqrt(900) = 30.
    assert.ok(Math.abs(v2 - 1000) <= 135, `v2 got ${v2} of ${n}`);
  });
  it('weights 1:2:1 split 25/50/25', () => {
    const random = seeded(7);
    const backends = [backend('a', 1), backend('b', 2), backend('c', 1)];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 8000; i++) counts[pickBackend(backends, random)!.name]! += 1;
    assert.ok(
      Math.abs(counts.a! - 2000) < 200 && Math.abs(counts.b! - 4000) < 200,
      JSON.stringify(counts),
    );
  });
  it('random() just under 1 picks the last weighted backend, never one of weight 0', () => {
    const backends = [backend('a', 1), backend('b', 1), backend('z', 0)];
    assert.equal(pickBackend(backends, () => 0.9999999999999999)?.name, 'b');
  });
  it('no backend when every weight is 0', () => {
    assert.equal(
      pickBackend([backend('a', 0)], () => 0.3),
      undefined,
    );
  });
});
