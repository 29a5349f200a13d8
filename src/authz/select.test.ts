// Which policy is named as the decider must not depend on the machine: the CLI
// (a user's laptop, any locale) and the sidecar (the image's) must name the same
// one. Names are compared by code unit; under a locale whose collation differs
// (Estonian sorts "z" before "t"), a locale-aware sort named the other policy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { compileAuthz } from '../mesh/authz-policies.js';
import { compilePolicy, evaluate, selectPolicies } from './index.js';

const DENY_ALL = { action: 'DENY', rules: [{}] };
const NAMES = ['zeta', 'tau', 'b-2', 'b.1', 'b1'];

/** The decider and the order, by the CLI's selection and by the sidecar's compile. */
function decide(): { cli: string[]; sidecar: string[]; decider: string | undefined } {
  const policies = NAMES.map((name) => ({ namespace: 'foo', name, spec: DENY_ALL, dryRun: false }));
  const cli = selectPolicies(policies.map(compilePolicy), { namespace: 'foo', labels: {} });
  const sidecar = compileAuthz(policies, 'foo').policies;
  const d = evaluate(cli, {
    source: { ip: '198.51.100.20' },
    destination: { ip: '198.51.100.10', port: 80 },
  });
  return { cli: cli.map((p) => p.name), sidecar: sidecar.map((p) => p.name), decider: d.policy };
}

const EXPECTED = {
  cli: ['b-2', 'b.1', 'b1', 'tau', 'zeta'],
  sidecar: ['b-2', 'b.1', 'b1', 'tau', 'zeta'],
  decider: 'foo/b-2',
};

describe('policy order', () => {
  it('is code-unit order by name, the same in the CLI and the sidecar', () => {
    assert.deepEqual(decide(), EXPECTED);
  });

  it('does not change with the locale (et_EE collates z before t)', () => {
    const script = `
      import { compilePolicy, evaluate, selectPolicies } from ${JSON.stringify(import.meta.resolve('./index.js'))};
      import { compileAuthz } from ${JSON.stringify(import.meta.resolve('../mesh/authz-policies.js'))};
      const policies = ['zeta', 'tau'].map((name) => ({ namespace: 'foo', name, spec: ${JSON.stringify(DENY_ALL)}, dryRun: false }));
      const cli = selectPolicies(policies.map(compilePolicy), { namespace: 'foo', labels: {} });
      const d = evaluate(cli, { source: { ip: '198.51.100.20' }, destination: { ip: '198.51.100.10', port: 80 } });
      console.log(JSON.stringify([d.policy, compileAuthz(policies, 'foo').policies[0].name, 'z'.localeCompare('t')]));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, LC_ALL: 'et_EE.UTF-8', LANG: 'et_EE.UTF-8' },
      encoding: 'utf8',
    });
    const [decider, sidecarFirst, zVersusT] = JSON.parse(out) as [string, string, number];
    // The child's collation really is Estonian (else the test proves nothing).
    assert.equal(zVersusT, -1);
    assert.deepEqual([decider, sidecarFirst], ['foo/tau', 'tau']);
  });
});
