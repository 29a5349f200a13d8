// Golden files for injection (Istio keeps its injector's the same way): each case
// folder under test/golden/webhook/ holds input.yaml (and optionally case.yaml),
// and the expected patch.json and injected.yaml (the object after the patch, what a
// reviewer reads). Refused cases hold refused.txt instead. WEFT_UPDATE_GOLDEN=1
// rewrites them; a missing golden fails. Every case is also injected twice.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import jsonpatch from 'fast-json-patch';
import { parse, stringify } from 'yaml';
import { admit } from '../../webhook/admit.js';
import { inject } from '../../webhook/inject.js';
import type { PodLike } from '../../webhook/inject.js';
import { InjectionConfigSchema } from '../../webhook/injection-config.js';
import { namespacePolicy } from '../../webhook/override-policy.js';
import { injectObject } from '../../webhook/workloads.js';
import { VERSION } from '../../src/version.js';

const root = path.resolve(import.meta.dirname, '../../../test/golden/webhook');
const update = process.env.WEFT_UPDATE_GOLDEN === '1';

interface CaseSpec {
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  namespaceAnnotations?: Record<string, string>;
  config?: Record<string, unknown>;
}

/** Volatile values (the version) are normalised so a release does not rewrite every golden. */
const normalise = (text: string): string => text.split(VERSION).join('<version>');

function golden(dir: string, file: string, actual: string): void {
  const p = path.join(dir, file);
  const text = normalise(actual);
  if (update) writeFileSync(p, text);
  assert.ok(existsSync(p), `missing golden ${path.relative(process.cwd(), p)} (run with WEFT_UPDATE_GOLDEN=1)`);
  assert.equal(text, readFileSync(p, 'utf8'), `${file} differs from the golden`);
}

function run(input: Record<string, unknown>, spec: CaseSpec) {
  const config = InjectionConfigSchema.parse(spec.config ?? {});
  if (input.kind !== 'Pod') {
    const out = injectObject(input, config);
    return { ops: jsonpatch.compare(input, out), out, config, policy: undefined, refused: undefined };
  }
  const ns = spec.namespace ?? 'apps';
  const labels = spec.namespaceLabels ?? { 'weft.dev/inject': 'enabled' };
  const annotations = spec.namespaceAnnotations ?? {};
  const admission = admit(
    { uid: 'golden', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: ns, object: input },
    config,
    (name) => ({ name, labels, annotations }),
  );
  if (!admission.response.allowed) return { ops: [], out: input, config, policy: undefined, refused: admission.response.status?.message };
  const policy = namespacePolicy({ name: ns, annotations }, config.captureOverrides);
  const ops = admission.response.patch
    ? (JSON.parse(Buffer.from(admission.response.patch, 'base64').toString()) as jsonpatch.Operation[])
    : [];
  const out = jsonpatch.applyPatch(structuredClone(input), ops).newDocument;
  return { ops, out, config, policy, refused: undefined };
}

describe('injection golden files', () => {
  const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  it('has cases', () => assert.ok(cases.length >= 12, `only ${cases.length} cases`));
  for (const name of cases) {
    it(name, () => {
      const dir = path.join(root, name);
      const input = parse(readFileSync(path.join(dir, 'input.yaml'), 'utf8')) as Record<string, unknown>;
      const specFile = path.join(dir, 'case.yaml');
      const spec = existsSync(specFile) ? (parse(readFileSync(specFile, 'utf8')) as CaseSpec) : {};
      const { ops, out, config, policy, refused } = run(input, spec);
      if (refused !== undefined) {
        golden(dir, 'refused.txt', refused + '\n');
        return;
      }
      golden(dir, 'patch.json', JSON.stringify(ops, null, 2) + '\n');
      golden(dir, 'injected.yaml', stringify(out));
      // Idempotent: injecting the injected object again changes nothing.
      const again = input.kind === 'Pod' && ops.length ? inject(out as PodLike, config, policy) : input.kind === 'Pod' ? out : injectObject(out, config);
      assert.deepEqual(again, out, 'a second injection changed the object');
    });
  }
});
