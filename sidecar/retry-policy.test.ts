import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, WeftError } from '../src/errors.js';
import { DEFAULT_SETTINGS } from '../src/traffic/index.js';
import type { TrafficSettings } from '../src/traffic/index.js';
import type { ForwardPlan } from './exchange.js';
import { backoffDelay, policyRetries, retriableFailure, retryPolicy } from './retry-policy.js';

const plan = (retry: ForwardPlan['retry'], timeouts: ForwardPlan['timeouts'] = {}): ForwardPlan =>
  ({ retry, timeouts }) as ForwardPlan;

describe('retry arithmetic', () => {
  it('counts attempts as retries after the first try, with defaults, and none for a body it cannot replay', () => {
    assert.equal(retryPolicy(plan({ attempts: 3, codes: [503] }), true).tries, 4);
    assert.equal(retryPolicy(plan({ codes: [503] }), true).tries, 3);
    assert.equal(retryPolicy(plan({ attempts: 0, codes: [503] }), true).tries, 1);
    assert.equal(retryPolicy(plan({ attempts: 3, codes: [503] }), false).tries, 1);
    assert.equal(retryPolicy(plan(undefined, { backendRequest: 50 }), true).tries, 1);
    assert.equal(retryPolicy(plan(undefined, { backendRequest: 50 }), true).perTryMs, 50);
    assert.equal(retryPolicy(plan(undefined, { backendRequest: 0 }), true).perTryMs, undefined);
  });

  it('backs off from the route backoff, doubling, capped at ten times, jitter up to half again', () => {
    const p = retryPolicy(plan({ codes: [503], backoffMs: 100 }), true);
    const low = (): number => 0;
    const high = (): number => 0.999_999;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(p, n, low)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(backoffDelay(p, 1, high), 150);
    assert.equal(backoffDelay(retryPolicy(plan({ codes: [] }), true), 1, low), 25);
  });

  it('retries a connect failure always, a per-try timeout only when 504 is listed', () => {
    const with504 = retryPolicy(plan({ codes: [504] }), true);
    const without = retryPolicy(plan({ codes: [503] }), true);
    const timeout = new WeftError(ErrorCode.UpstreamTimeout, 'per-try');
    const connect = new WeftError(ErrorCode.UpstreamConnectFailed, 'refused');
    const reset = new WeftError(ErrorCode.UpstreamReset, 'reset');
    assert.equal(retriableFailure(connect, without), true);
    assert.equal(retriableFailure(timeout, with504), true);
    assert.equal(retriableFailure(timeout, without), false);
    assert.equal(retriableFailure(reset, with504), false);
    assert.equal(retriableFailure(new Error('x'), with504), false);
  });

  it("tells when the policy's retries run: not under a route retry, a fault, or attempts 0", () => {
    const none: TrafficSettings = {
      ...DEFAULT_SETTINGS,
      retries: { ...DEFAULT_SETTINGS.retries, attempts: 0 },
    };
    const faulty = { ...DEFAULT_SETTINGS, fault: {} } as unknown as TrafficSettings;
    assert.equal(policyRetries(undefined, DEFAULT_SETTINGS), true);
    assert.equal(policyRetries(plan(undefined), DEFAULT_SETTINGS), true);
    assert.equal(policyRetries(plan({ codes: [503] }), DEFAULT_SETTINGS), false);
    assert.equal(policyRetries(undefined, none), false);
    assert.equal(policyRetries(undefined, faulty), false);
  });
});
