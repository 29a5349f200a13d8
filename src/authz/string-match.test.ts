import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePaths } from './path-match.js';
import { compileStrings } from './string-match.js';

/** Istio's reading of one value, written plainly: the reference the compiled matchers must agree with. */
function reference(values: readonly string[], input: string, fold = false): boolean {
  const s = fold ? input.toLowerCase() : input;
  return values.some((raw) => {
    const v = fold ? raw.toLowerCase() : raw;
    if (v === '*') return s.length > 0;
    if (v.startsWith('*')) return s.endsWith(v.slice(1));
    if (v.endsWith('*')) return s.startsWith(v.slice(0, -1));
    return s === v;
  });
}

const INPUTS = ['', '/', '/api', '/api/', '/api/v1', '/apix', '/other/api/', 'GET', 'get', 'a*b'];
// Each shape the compiler specialises: exact only, one prefix, several prefixes,
// prefix and exact, suffix, presence, a literal star.
const LISTS = [
  ['/api'],
  ['/api', 'GET'],
  ['/api/*'],
  ['/api*'],
  ['/api/*', '/other/*'],
  ['/api/*', '/'],
  ['*/'],
  ['*'],
  ['a*b'],
  ['*', '/api'],
];

describe('string match (exact, prefix*, *suffix, *)', () => {
  for (const values of LISTS) {
    it(`[${values.join(', ')}] agrees with Istio's reading on every input`, () => {
      const { match } = compileStrings(values);
      for (const input of INPUTS) assert.equal(match(input), reference(values, input), input);
    });
  }

  it('folds case on both sides for hosts', () => {
    const { match } = compileStrings(['Example.COM', 'API.*'], true);
    for (const input of ['example.com', 'EXAMPLE.com', 'api.x', 'Api.Y', 'other'])
      assert.equal(match(input), reference(['Example.COM', 'API.*'], input, true), input);
  });

  it('paths without templates match as strings, with them as templates too', () => {
    const plain = compilePaths(['/api/*']);
    assert.deepEqual(plain.errors, []);
    assert.equal(plain.match('/api/v1'), true);
    assert.equal(plain.match('/apix'), false);
    const templated = compilePaths(['/api/*', '/v{*}/items/{**}']);
    assert.equal(templated.match('/api/v1'), true);
    assert.equal(templated.match('/v1/items/a/b'), true);
    assert.equal(templated.match('/v1/x/items/a'), false);
  });
});
