import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRAFFIC_CASES, policyObject } from './cases.js';
import { compileTrafficPolicy } from './index.js';

/** A dotted path into the settings; Sets read as arrays (in insertion order). */
function at(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const key of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
  return v instanceof Set ? [...(v as Set<unknown>)] : v;
}

describe('TrafficPolicy compile table', () => {
  it('has at least 30 cases with unique names', () => {
    assert.ok(TRAFFIC_CASES.length >= 30, `${TRAFFIC_CASES.length} cases`);
    assert.equal(new Set(TRAFFIC_CASES.map((c) => c.name)).size, TRAFFIC_CASES.length);
  });
  for (const c of TRAFFIC_CASES) {
    it(c.name, () => {
      const p = compileTrafficPolicy(policyObject('p', c.spec));
      if (c.expect.valid) {
        assert.deepEqual(p.problems, []);
        assert.equal(p.valid, true);
        for (const [path, want] of Object.entries(c.expect.settings)) {
          assert.deepEqual(at(p.settings, path), want, path);
        }
        return;
      }
      assert.equal(p.valid, false);
      assert.deepEqual(
        p.problems.map((x) => x.field),
        c.expect.problems.map((x) => x.field),
      );
      c.expect.problems.forEach((want, i) => assert.match(p.problems[i]!.reason, want.reason));
    });
  }

  it('never throws, whatever the spec', () => {
    for (const spec of [null, undefined, 42, [], { targetRefs: 'echo' }, { targetRefs: [null] }]) {
      const p = compileTrafficPolicy(policyObject('p', spec));
      assert.equal(p.valid, false);
      assert.ok(p.problems.length > 0);
    }
  });

  it('keeps the targets of an invalid policy for its status', () => {
    const p = compileTrafficPolicy(
      policyObject('p', { targetRefs: [{ group: '', kind: 'Service', name: 'echo' }], fault: {} }),
    );
    assert.deepEqual(p.targets, ['echo']);
    const q = compileTrafficPolicy(policyObject('q', { targetRefs: [{ name: 'cart' }], bogus: 1 }));
    assert.deepEqual(q.targets, ['cart']);
  });
});
