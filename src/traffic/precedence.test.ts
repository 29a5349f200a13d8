// Route vs TrafficPolicy: the route's retry and timeouts win (Istio's
// VirtualService over the default), and a fault turns retries and timeouts off.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTrafficPolicy } from './compile.js';
import { policyObject } from './cases.js';
import { effectiveResilience } from './precedence.js';
import type { RouteResilience } from './precedence.js';
import type { TrafficSettings } from './types.js';

const T = [{ group: '', kind: 'Service', name: 'echo' }];
function settings(spec: Record<string, unknown>): TrafficSettings {
  const p = compileTrafficPolicy(policyObject('p', { targetRefs: T, ...spec }));
  assert.deepEqual(p.problems, []);
  return p.settings;
}

const view = (route: RouteResilience | undefined, s: TrafficSettings) => {
  const r = effectiveResilience(route, s);
  return {
    requestTimeoutMs: r.requestTimeoutMs,
    attempts: r.retry?.attempts,
    perTryTimeoutMs: r.retry?.perTryTimeoutMs,
    conditions: r.retry ? [...r.retry.retryOn.conditions] : undefined,
    codes: r.retry?.retryOn.statusCodes,
    backoffBaseMs: r.retry?.backoffBaseMs,
    source: r.source,
  };
};

describe('route vs TrafficPolicy retries and timeouts', () => {
  it('no route, no policy: Istio’s default retries, no timeouts', () => {
    assert.deepEqual(view(undefined, settings({})), {
      requestTimeoutMs: undefined,
      attempts: 2,
      perTryTimeoutMs: undefined,
      conditions: [
        'connect-failure',
        'refused-stream',
        'unavailable',
        'cancelled',
        'retriable-status-codes',
      ],
      codes: [503],
      backoffBaseMs: 25,
      source: { retry: 'policy', timeouts: 'none' },
    });
  });

  it('a route without retry or timeouts takes the policy’s', () => {
    const s = settings({ retries: { attempts: 4, perTryTimeout: '1s', retryOn: 'gateway-error' } });
    assert.deepEqual(view({ timeouts: {} }, s), {
      requestTimeoutMs: undefined,
      attempts: 4,
      perTryTimeoutMs: 1000,
      conditions: ['gateway-error'],
      codes: [],
      backoffBaseMs: 25,
      source: { retry: 'policy', timeouts: 'policy' },
    });
  });

  it('a route retry replaces the policy’s whole: its codes plus connection errors, weft defaults for the rest', () => {
    const s = settings({ retries: { attempts: 4, retryOn: '5xx', backoff: '1s' } });
    assert.deepEqual(view({ timeouts: {}, retry: { codes: [500, 502] } }, s), {
      requestTimeoutMs: undefined,
      attempts: 2,
      perTryTimeoutMs: undefined,
      conditions: ['connect-failure', 'refused-stream', 'reset', 'retriable-status-codes'],
      codes: [500, 502],
      backoffBaseMs: 25,
      source: { retry: 'route', timeouts: 'none' },
    });
  });

  it('route attempts and backoff as written', () => {
    const v = view(
      { timeouts: {}, retry: { attempts: 5, codes: [503], backoffMs: 100 } },
      settings({}),
    );
    assert.equal(v.attempts, 5);
    assert.equal(v.backoffBaseMs, 100);
  });

  it('route attempts 0: no retries even though the policy has some', () => {
    assert.equal(
      view({ timeouts: {}, retry: { attempts: 0, codes: [] } }, settings({})).attempts,
      undefined,
    );
  });

  it('route timeouts: request is the whole, backendRequest replaces perTryTimeout', () => {
    const s = settings({ retries: { perTryTimeout: '5s' } });
    const v = view({ timeouts: { request: 2000, backendRequest: 500 } }, s);
    assert.equal(v.requestTimeoutMs, 2000);
    assert.equal(v.perTryTimeoutMs, 500);
    assert.deepEqual(v.source, { retry: 'policy', timeouts: 'route' });
  });

  it('a route’s "0s" turns a timeout off, the policy’s per-try included', () => {
    const s = settings({ retries: { perTryTimeout: '5s' } });
    const v = view({ timeouts: { request: 0, backendRequest: 0 } }, s);
    assert.equal(v.requestTimeoutMs, undefined);
    assert.equal(v.perTryTimeoutMs, undefined);
  });

  it('a fault disables retries and timeouts, the route’s too (Istio)', () => {
    const s = settings({
      fault: { abort: { httpStatus: 503, percentage: 50 } },
      retries: { attempts: 3 },
    });
    assert.deepEqual(
      view({ timeouts: { request: 1000, backendRequest: 100 }, retry: { codes: [503] } }, s),
      {
        requestTimeoutMs: undefined,
        attempts: undefined,
        perTryTimeoutMs: undefined,
        conditions: undefined,
        codes: undefined,
        backoffBaseMs: undefined,
        source: { retry: 'disabled-by-fault', timeouts: 'disabled-by-fault' },
      },
    );
  });
});
