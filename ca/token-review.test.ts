import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromReview, tokenExpiry } from './token-review.js';

describe('identityFromReview', () => {
  const ok = {
    authenticated: true,
    audiences: ['weft-ca'],
    user: {
      username: 'system:serviceaccount:shop:cart',
      extra: { 'authentication.kubernetes.io/pod-name': ['cart-1'] },
    },
  };

  it('maps an authenticated ServiceAccount to its identity and pod', () => {
    const r = identityFromReview(ok, 'weft-ca', 'cluster.local');
    assert.equal(r.identity.uri, 'spiffe://cluster.local/ns/shop/sa/cart');
    assert.equal(r.podName, 'cart-1');
  });

  it('refuses an unauthenticated review, with the API server’s reason', () => {
    assert.throws(
      () => identityFromReview({ authenticated: false, error: 'expired' }, 'weft-ca', 'td'),
      (e: { code: string; message: string }) =>
        e.code === 'token_invalid' && /expired/.test(e.message),
    );
  });

  it('refuses a review whose audiences lack ours (fails closed)', () => {
    assert.throws(
      () => identityFromReview({ ...ok, audiences: ['other'] }, 'weft-ca', 'cluster.local'),
      /not for audience weft-ca/,
    );
  });

  it('refuses a user that is not a ServiceAccount', () => {
    assert.throws(
      () => identityFromReview({ ...ok, user: { username: 'alice' } }, 'weft-ca', 'cluster.local'),
      (e: { code: string }) => e.code === 'not_a_service_account',
    );
  });
});

describe('tokenExpiry', () => {
  const jwt = (claims: object): string =>
    `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
  it('reads exp in milliseconds', () => assert.equal(tokenExpiry(jwt({ exp: 100 })), 100_000));
  it('is undefined for garbage', () => {
    assert.equal(tokenExpiry('nope'), undefined);
    assert.equal(tokenExpiry('a.!!!.b'), undefined);
    assert.equal(tokenExpiry(jwt({ exp: 'soon' })), undefined);
  });
});
