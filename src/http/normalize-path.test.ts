import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath, normalizeTarget, removeDotSegments } from './normalize-path.js';

describe('request path normalisation (Istio BASE)', () => {
  const paths: [string, string | undefined][] = [
    ['/', '/'],
    ['/admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/./admin', '/admin'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['/../../admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['/x/%2E%2E/admin', '/admin'],
    ['/%7E%5F%2D%30', '/~_-0'],
    ['/a%2fb', '/a%2fb'],
    ['/a%2Fb/..', '/'],
    ['/a%20b', '/a%20b'],
    ['/%2561', '/%2561'],
    ['/a\\..\\admin', '/admin'],
    ['/a//b', '/a//b'],
    // Dots that are not dot segments: nothing to do.
    ['/.well-known/x', '/.well-known/x'],
    ['/a/..b/c.', '/a/..b/c.'],
    ['/a/b/...', '/a/b/...'],
    ['//x/../y', '//y'],
    ['/a%00b', undefined],
    ['admin', undefined],
    ['http://svc/admin', undefined],
  ];
  for (const [input, want] of paths) {
    it(`normalizes ${JSON.stringify(input)} to ${JSON.stringify(want)}`, () => {
      assert.equal(normalizePath(input), want);
    });
  }

  it('resolves dot segments as RFC 3986 5.2.4 does', () => {
    assert.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
    assert.equal(removeDotSegments('/mid/content=5/../6'), '/mid/6');
  });

  it('keeps the query as sent and out of the normalised path', () => {
    assert.equal(normalizeTarget('/x/../%61b?q=%61&r=/../'), '/ab?q=%61&r=/../');
    assert.equal(normalizeTarget('/a?'), '/a?');
    assert.equal(normalizeTarget('*'), '*');
    assert.equal(normalizeTarget('http://svc/admin?x'), undefined);
    assert.equal(normalizeTarget('?x'), undefined);
  });
});
