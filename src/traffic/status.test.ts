// Which policy a Service gets (the oldest valid one) and the status each policy
// reports: Accepted, Invalid with the field, Conflicted naming the winner,
// TargetNotFound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NS, policyObject } from './cases.js';
import { compileTrafficPolicy } from './compile.js';
import { trafficFor } from './select.js';
import { trafficPolicyConditions } from './status.js';

const svc = (name: string) => ({ group: '', kind: 'Service', name });
const older = compileTrafficPolicy(
  policyObject(
    'older',
    { targetRefs: [svc('echo')], retries: { attempts: 1 } },
    '2026-01-01T00:00:00Z',
  ),
);
const newer = compileTrafficPolicy(
  policyObject(
    'newer',
    { targetRefs: [svc('echo'), svc('cart')], retries: { attempts: 5 } },
    '2026-02-01T00:00:00Z',
  ),
);
const broken = compileTrafficPolicy(
  policyObject(
    'aaa-broken',
    { targetRefs: [svc('echo')], retries: { retryOn: 'x' } },
    '2025-01-01T00:00:00Z',
  ),
);
const all = [newer, broken, older];

describe('which TrafficPolicy applies (GEP-713: oldest wins)', () => {
  it('the oldest valid policy wins a Service; the invalid older one takes nothing', () => {
    const t = trafficFor(all, { namespace: NS, name: 'echo' });
    assert.equal(t.policy, `${NS}/older`);
    assert.equal(t.settings.retries.attempts, 1);
    assert.deepEqual(t.overridden, [`${NS}/newer`]);
  });

  it('the newer one still applies where it has no rival', () => {
    const t = trafficFor(all, { namespace: NS, name: 'cart' });
    assert.equal(t.policy, `${NS}/newer`);
    assert.equal(t.settings.retries.attempts, 5);
  });

  it('a Service no policy targets gets the defaults', () => {
    const t = trafficFor(all, { namespace: NS, name: 'other' });
    assert.equal(t.policy, undefined);
    assert.equal(t.settings.retries.attempts, 2);
    assert.equal(trafficFor(all, { namespace: 'elsewhere', name: 'echo' }).policy, undefined);
  });

  it('same timestamp: the first by namespace/name wins', () => {
    const a = compileTrafficPolicy(
      policyObject('b', { targetRefs: [svc('x')] }, '2026-01-01T00:00:00Z'),
    );
    const b = compileTrafficPolicy(
      policyObject('a', { targetRefs: [svc('x')] }, '2026-01-01T00:00:00Z'),
    );
    assert.equal(trafficFor([a, b], { namespace: NS, name: 'x' }).policy, `${NS}/a`);
  });
});

describe('TrafficPolicy status.conditions', () => {
  const cond = (p: typeof older, type: string, world = {}) =>
    trafficPolicyConditions(p, all, world).find((c) => c.type === type);

  it('the winner: Accepted, and Conflicted saying it applies', () => {
    assert.deepEqual(cond(older, 'Accepted'), {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'applies to Service echo',
    });
    assert.match(
      cond(older, 'Conflicted')!.message,
      new RegExp(`^Service echo: this policy applies \\(the oldest\\); ${NS}/newer does not`),
    );
  });

  it('the newer one: Accepted (it has cart), Conflicted naming the older winner on echo', () => {
    assert.equal(cond(newer, 'Accepted')?.message, 'applies to Service cart');
    assert.equal(cond(newer, 'Conflicted')?.status, 'True');
    assert.match(
      cond(newer, 'Conflicted')!.message,
      new RegExp(
        `Service echo: ${NS}/older applies instead \\(older, created 2026-01-01T00:00:00Z\\)`,
      ),
    );
  });

  it('losing every target: Accepted False, Conflicted', () => {
    const loser = compileTrafficPolicy(
      policyObject('loser', { targetRefs: [svc('echo')] }, '2026-03-01T00:00:00Z'),
    );
    const c = trafficPolicyConditions(loser, [...all, loser]).find((x) => x.type === 'Accepted');
    assert.equal(c?.status, 'False');
    assert.equal(c?.reason, 'Conflicted');
    assert.match(c.message, new RegExp(`^Service echo: ${NS}/older applies instead`));
  });

  it('invalid: Accepted False, Invalid, each field and its reason', () => {
    const c = cond(broken, 'Accepted');
    assert.equal(c?.reason, 'Invalid');
    assert.match(
      c.message,
      /^spec\.retries\.retryOn: "x" is not a retry condition .*; the policy applies to no Service until it is fixed$/,
    );
    assert.equal(cond(broken, 'Conflicted')?.status, 'False');
  });

  it('no target exists: TargetNotFound; some missing: said in the message', () => {
    const world = { serviceExists: (_ns: string, name: string) => name === 'cart' };
    assert.deepEqual(
      [cond(older, 'Accepted', world)?.reason, cond(older, 'Accepted', world)?.message],
      ['TargetNotFound', `Service echo not found in ${NS}`],
    );
    assert.equal(
      cond(newer, 'Accepted', world)?.message,
      'applies to Service cart; Service echo not found',
    );
  });

  it('carries observedGeneration', () => {
    const p = compileTrafficPolicy({
      ...policyObject('g', { targetRefs: [svc('z')] }),
      generation: 7,
    });
    for (const c of trafficPolicyConditions(p, [p])) assert.equal(c.observedGeneration, 7);
  });
});
