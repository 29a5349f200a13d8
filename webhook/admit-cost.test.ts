// Admission must stay linear in the pod: a review found a 2 MB pod with a forged
// weft.dev/status that held the webhook (and, in control-plane mode, the CA on the
// same event loop) for ~20 s, past the API server's timeout. Each shape below is
// admitted at 2 MB well inside the webhook's 5 s timeoutSeconds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { LARGE_PODS, TWO_MB, forgedStatusPod } from '../test/support/large-pods.js';
import { admit } from './admit.js';
import type { Admission } from './admit.js';
import { InjectionConfigSchema } from './injection-config.js';

const config = InjectionConfigSchema.parse({});
/** Far inside the registration's timeoutSeconds (5), on a shared 2-core machine. */
const BUDGET_MS = 1000;

function review(object: unknown): Admission {
  return admit(
    {
      uid: 'cost',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'apps',
      object,
    },
    config,
    (name) => ({ name, labels: { 'weft.dev/inject': 'enabled' } }),
  );
}

/** The fastest of three runs: the cost of admission, not of other work on the machine. */
function timed(body: string): { ms: number; admission: Admission } {
  let best = Infinity;
  let admission: Admission | undefined;
  for (let i = 0; i < 3; i++) {
    const object: unknown = JSON.parse(body);
    const start = performance.now();
    admission = review(object);
    best = Math.min(best, performance.now() - start);
  }
  return { ms: best, admission: admission! };
}

describe('admission cost at 2 MB', () => {
  for (const [shape, make] of Object.entries(LARGE_PODS)) {
    it(`${shape}: admitted within ${BUDGET_MS} ms`, () => {
      const body = JSON.stringify(make(TWO_MB));
      assert.ok(body.length >= TWO_MB * 0.8, `the pod is ${body.length} bytes`);
      const { ms, admission } = timed(body);
      assert.ok(ms < BUDGET_MS, `${shape}: ${ms.toFixed(0)} ms`);
      assert.notEqual(admission.result, 'skipped');
      if (admission.response.patch) {
        // The patch is about the pod's size, not a multiple of it, and applies cleanly.
        const patch = Buffer.from(admission.response.patch, 'base64').toString();
        assert.ok(patch.length < 2 * body.length, `patch ${patch.length} bytes`);
        const ops = JSON.parse(patch) as jsonpatch.Operation[];
        const out = jsonpatch.applyPatch(JSON.parse(body), ops, true).newDocument as {
          spec: { initContainers?: { name: string }[]; containers: { name: string }[] };
        };
        const names = [...(out.spec.initContainers ?? []), ...out.spec.containers].map(
          (c) => c.name,
        );
        assert.ok(names.includes('weft-proxy'));
      }
    });
  }

  it('refuses the forged status by name, before touching the volumes', () => {
    const { admission } = timed(JSON.stringify(forgedStatusPod(TWO_MB)));
    assert.equal(admission.result, 'refused');
    assert.equal(admission.response.status?.code, 400);
    assert.match(
      admission.response.status?.message ?? '',
      /annotation weft\.dev\/status is \d+ bytes, over the 2048-byte limit/,
    );
  });

  it('refuses a small forged status naming a volume weft never injects', () => {
    const { admission } = timed(JSON.stringify(forgedStatusPod(200)));
    assert.equal(admission.result, 'refused');
    assert.match(
      admission.response.status?.message ?? '',
      /weft\.dev\/status is not weft's: volumes may only name weft-token, weft-trust-bundle, weft-runtime/,
    );
  });
});
