// Admission must stay linear in the pod: a review found a 2 MB pod with a forged
// weft.dev/status that held the webhook (and, in control-plane mode, the CA on the
// same event loop) for ~20 s, past the API server's timeout. Each shape below is
// admitted at 2 MB in a bounded multiple of what decoding and encoding the same
// pod takes, measured in the same run: a ratio holds on a loaded machine where a
// wall-clock budget does not (the project measures against a baseline from the same run).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { LARGE_PODS, TWO_MB, forgedStatusPod } from '../test/support/large-pods.js';
import { admit } from './admit.js';
import type { Admission } from './admit.js';
import { InjectionConfigSchema } from './injection-config.js';

const config = InjectionConfigSchema.parse({});
/**
 * Admission against one JSON decode and encode of the same pod, measured beside it.
 * Measured here: 0.5x to 3.9x by shape (2 cores, other work running); the quadratic
 * strip this guards against took ~20 s against a ~0.1 s baseline (~200x).
 */
const MAX_RATIO = 20;

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

/**
 * The fastest of three runs, each beside its baseline (the pod decoded and encoded
 * once, the work the webhook cannot avoid): the cost of admission, not of other
 * work on the machine.
 */
function timed(body: string): { ms: number; baselineMs: number; admission: Admission } {
  let best = Infinity;
  let baseline = Infinity;
  let admission: Admission | undefined;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    JSON.stringify(JSON.parse(body));
    baseline = Math.min(baseline, performance.now() - start);
    const object: unknown = JSON.parse(body);
    const begin = performance.now();
    admission = review(object);
    best = Math.min(best, performance.now() - begin);
  }
  return { ms: best, baselineMs: baseline, admission: admission! };
}

describe('admission cost at 2 MB', () => {
  for (const [shape, make] of Object.entries(LARGE_PODS)) {
    it(`${shape}: admitted within ${MAX_RATIO}x a JSON decode and encode of the pod`, () => {
      const body = JSON.stringify(make(TWO_MB));
      assert.ok(body.length >= TWO_MB * 0.8, `the pod is ${body.length} bytes`);
      const { ms, baselineMs, admission } = timed(body);
      const ratio = ms / baselineMs;
      process.stdout.write(
        `${shape}: ${ms.toFixed(1)} ms, ${ratio.toFixed(1)}x the JSON baseline (${baselineMs.toFixed(1)} ms)\n`,
      );
      assert.ok(ratio < MAX_RATIO, `${shape}: ${ms.toFixed(0)} ms, ${ratio.toFixed(1)}x`);
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
