import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRegex } from './regex.js';

function compiled(p: string): RegExp {
  const r = compileRegex(p);
  assert.ok('regex' in r, `${p}: ${'error' in r ? r.error : ''}`);
  return r.regex;
}

describe('route regular expressions (linear time, RE2-compatible subset)', () => {
  // Each takes exponential or high-polynomial time on V8's backtracking engine.
  const HOSTILE = [
    '(a+)+$',
    '(a|a)*b',
    '(a|aa)+c',
    '(.*a){12}',
    '(x+x+)+y',
    '(\\w+\\s?)*$',
    '.*.*.*.*.*=x',
  ];
  for (const p of HOSTILE) {
    it(`a hostile pattern runs in linear time: ${p}`, () => {
      const r = compileRegex(p);
      if ('error' in r) {
        assert.match(r.error, /linear time/);
        return;
      }
      const input = 'a'.repeat(16_384) + '!';
      const t = process.hrtime.bigint();
      r.regex.test(input);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      assert.ok(ms < 500, `${p} took ${ms} ms on 16 KiB`);
    });
  }

  it('matches the whole string (Envoy safe_regex semantics)', () => {
    const r = compiled('/v[0-9]+');
    assert.equal(r.test('/v12'), true);
    assert.equal(r.test('/v12/x'), false);
    assert.equal(r.test('x/v12'), false);
  });

  it('an alternation stays inside the anchors', () => {
    const r = compiled('a|b');
    assert.equal(r.test('a'), true);
    assert.equal(r.test('ab'), false);
  });

  it('takes classes, escapes and non-capturing groups', () => {
    assert.equal(compiled('\\d{3}-(?:[a-f0-9]+)\\.json').test('123-beef.json'), true);
  });

  it('refuses patterns longer than 1024 characters', () => {
    const r = compileRegex('a'.repeat(1025));
    assert.ok('error' in r && /longer than 1024/.test(r.error));
  });

  it('an escaped backslash does not hide a foreign escape, nor make one', () => {
    assert.ok('regex' in compileRegex('a\\\\z'), '\\\\z is a backslash and a z');
    assert.ok('error' in compileRegex('a\\\\\\z'));
  });
});
