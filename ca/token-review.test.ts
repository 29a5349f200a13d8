import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthenticationV1Api } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import { TokenReviewer, hopelessToken, identityFromReview, tokenExpiry } from './token-review.js';

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

  it('refuses an unauthenticated review, keeping the API server’s reason out of the message', () => {
    const reason =
      '[invalid bearer token, token audiences ["https://kubernetes.default.svc"] is invalid]';
    assert.throws(
      () => identityFromReview({ authenticated: false, error: reason }, 'weft-ca', 'td'),
      (e: { code: string; message: string; cause: Error }) =>
        e.code === 'token_invalid' &&
        e.message === 'token is not valid for audience weft-ca' &&
        e.cause.message === reason,
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

const jwt = (claims: object, sig = 's'): string =>
  `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
const later = (): number => Math.floor(Date.now() / 1000) + 3600;

describe('hopelessToken', () => {
  const now = Date.now();
  it('passes a JWT for our audience that has not expired', () => {
    assert.equal(hopelessToken(jwt({ aud: ['weft-ca'], exp: later() }), 'weft-ca', now), undefined);
  });
  it('names garbage, another audience and expiry', () => {
    assert.equal(hopelessToken('not-a-jwt', 'weft-ca', now), 'not a JWT');
    assert.match(hopelessToken(jwt({ aud: 'x', exp: later() }), 'weft-ca', now)!, /aud/);
    assert.match(hopelessToken(jwt({ aud: 'weft-ca', exp: 1 }), 'weft-ca', now)!, /expired/);
  });
});

/** A TokenReview API that answers after `delayMs`: `good` is a ServiceAccount, the rest are refused. */
function fakeApi(good: string, delayMs: number) {
  const calls = { total: 0, inFlight: 0, maxInFlight: 0 };
  const api = {
    async createTokenReview({ body }: { body: { spec: { token: string } } }) {
      calls.total++;
      calls.inFlight++;
      calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
      await new Promise((r) => setTimeout(r, delayMs));
      calls.inFlight--;
      if (body.spec.token !== good) {
        return {
          status: {
            authenticated: false,
            error: 'invalid bearer token, audience https://kubernetes.default.svc',
          },
        };
      }
      return {
        status: {
          authenticated: true,
          audiences: ['weft-ca'],
          user: { username: 'system:serviceaccount:shop:web' },
        },
      };
    },
  };
  return { api: api as unknown as AuthenticationV1Api, calls };
}

describe('TokenReviewer under a flood of bad tokens', () => {
  it('shares one review among concurrent uses of one token and remembers the refusal', async () => {
    const good = jwt({ aud: ['weft-ca'], exp: later() }, 'good');
    const { api, calls } = fakeApi(good, 20);
    const reviewer = new TokenReviewer(api, {
      audience: 'weft-ca',
      trustDomain: 'cluster.local',
      cacheTtlMs: 0,
    });
    const bad = jwt({ aud: ['weft-ca'], exp: later() }, 'forged');
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, () => reviewer.review(bad)),
    );
    assert.ok(results.every((r) => r.status === 'rejected'));
    await assert.rejects(reviewer.review(bad), /not valid/);
    assert.equal(calls.total, 1);
  });

  it('bounds TokenReviews in flight, serves a legitimate token promptly, and logs refusals sparingly', async () => {
    const good = jwt({ aud: ['weft-ca'], exp: later() }, 'good');
    const { api, calls } = fakeApi(good, 20);
    const lines: string[] = [];
    const log = limitLogger(createLogger({}, 'info', (l) => lines.push(l)));
    const reviewer = new TokenReviewer(api, {
      audience: 'weft-ca',
      trustDomain: 'cluster.local',
      cacheTtlMs: 0,
      maxConcurrent: 8,
      maxQueued: 32,
      log,
    });
    // 400 distinct forged tokens of the right shape, and 400 of garbage.
    const flood = [
      ...Array.from({ length: 400 }, (_, i) => jwt({ aud: ['weft-ca'], exp: later() }, `f${i}`)),
      ...Array.from({ length: 400 }, (_, i) => `garbage-${i}`),
    ].map((t) => reviewer.review(t, '192.0.2.66'));
    const floodDone = Promise.allSettled(flood);
    const started = Date.now();
    const legit = await reviewer.review(good, '198.51.100.7').catch((e: Error) => e);
    const waited = Date.now() - started;
    const settled = await floodDone;
    assert.ok(!(legit instanceof Error), `legitimate token refused: ${(legit as Error).message}`);
    assert.ok(waited < 500, `legitimate review waited ${waited} ms`);
    assert.ok(calls.maxInFlight <= 8, `in flight: ${calls.maxInFlight}`);
    assert.ok(calls.total <= 8 + 32 + 1, `TokenReviews: ${calls.total}`);
    const codes = settled.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    );
    assert.ok(
      codes.every((c) => c === 'token_invalid' || c === 'rate_limited'),
      codes.join(),
    );
    assert.ok(lines.length <= 10, `${lines.length} log lines`);
    assert.ok(
      lines.some((l) => /kubernetes.default.svc/.test(l)),
      'the API server’s reason is logged',
    );
  });
});
