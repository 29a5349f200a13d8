import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTHZ_CASES } from './cases.js';
import { compilePolicy, evaluate, selectPolicies } from './index.js';

describe('authorization table (Istio semantics)', () => {
  it('has at least 80 cases with unique names', () => {
    assert.ok(AUTHZ_CASES.length >= 80, `${AUTHZ_CASES.length} cases`);
    assert.equal(new Set(AUTHZ_CASES.map((c) => c.name)).size, AUTHZ_CASES.length);
  });
  for (const c of AUTHZ_CASES) {
    it(c.name, () => {
      const selected = selectPolicies(c.policies.map(compilePolicy), c.workload);
      const d = evaluate(selected, c.request);
      const got = {
        allow: d.allow,
        reason: d.reason,
        ...(d.policy !== undefined ? { policy: d.policy, rule: d.rule } : {}),
        ...('audit' in c.expect ? { audit: d.audit } : {}),
        ...('dryRun' in c.expect ? { dryRun: d.dryRun } : {}),
      };
      assert.deepEqual(got, c.expect);
      if (!c.expect.dryRun) assert.deepEqual(d.dryRun, []);
    });
  }
});
