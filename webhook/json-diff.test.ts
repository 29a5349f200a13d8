import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { diff, jsonEqual } from './json-diff.js';

const apply = (from: object, to: object): unknown =>
  jsonpatch.applyPatch(structuredClone(from), diff(from, to), true).newDocument;

describe('json diff', () => {
  const cases: [string, object, object][] = [
    ['equal', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }],
    ['added and removed keys', { a: 1, b: 2 }, { b: 3, c: { d: [1] } }],
    ['escaped keys', { 'x/y': 1, 'p~q': 2 }, { 'x/y': 2, 'p~q': 3, 'a/~b': 4 }],
    [
      'insert in front',
      { l: [{ n: 'a' }, { n: 'b' }] },
      { l: [{ n: 'p' }, { n: 'a' }, { n: 'b' }] },
    ],
    ['append', { l: [1] }, { l: [1, 2, 3] }],
    ['remove in the middle', { l: [1, 2, 3, 4] }, { l: [1, 4] }],
    ['same length, edited', { l: [{ a: 1 }, { a: 2 }] }, { l: [{ a: 1 }, { a: 3 }] }],
    ['reordered, other length', { l: [1, 2, 3] }, { l: [3, 1] }],
    ['type change', { a: [1], b: { c: 1 }, d: null }, { a: { x: 1 }, b: [1], d: 'x' }],
    ['array to empty', { l: [1, 2] }, { l: [] }],
    ['many inserted', { l: [0] }, { l: Array.from({ length: 20 }, (_, i) => i) }],
  ];
  for (const [name, from, to] of cases) {
    it(`${name}: the patch turns one into the other`, () => assert.deepEqual(apply(from, to), to));
  }

  it('puts one element in front of many with one op (compare() rewrote them all)', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: 'x' }));
    const ops = diff(
      { spec: { containers: many } },
      { spec: { containers: [{ name: 'p' }, ...many] } },
    );
    assert.deepEqual(ops, [{ op: 'add', path: '/spec/containers/0', value: { name: 'p' } }]);
    const compared = jsonpatch.compare({ l: many }, { l: [{ name: 'p' }, ...many] });
    assert.ok(compared.length > 10_000, 'fast-json-patch diffs index by index');
  });

  it('replaces an array in one op when many elements come and go', () => {
    const ops = diff({ l: [1, 2, 3] }, { l: Array.from({ length: 30 }, (_, i) => i + 10) });
    assert.equal(ops.length, 1);
    assert.equal(ops[0]!.op, 'replace');
  });

  it('compares JSON values deeply, ignoring undefined members', () => {
    assert.ok(jsonEqual({ a: [1, { b: 2 }], u: undefined }, { a: [1, { b: 2 }] }));
    assert.ok(!jsonEqual({ a: [1] }, { a: [1, 2] }));
    assert.ok(!jsonEqual({ a: 1 }, { b: 1 }));
    assert.ok(!jsonEqual([1], { 0: 1 }));
  });
});
