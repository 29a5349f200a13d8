// The default install (kubectl apply -k manifests/) must apply on every Kubernetes
// weft supports, 1.29 up: nothing in it may need a newer API. The 1.30+ admission
// policy is an optional extra in manifests/optional/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const manifests = path.resolve(import.meta.dirname, '../../../manifests');
/** Kinds whose v1 API arrived after 1.29. */
const NEWER_THAN_1_29 = new Set(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

const kindsIn = (file: string): string[] =>
  parseAllDocuments(readFileSync(path.join(manifests, file), 'utf8'))
    .map((d) => (d.toJS() as { kind?: string } | null)?.kind)
    .filter((k): k is string => !!k);

describe('default manifests', () => {
  it('need nothing newer than Kubernetes 1.29', () => {
    const kustomization = parse(readFileSync(path.join(manifests, 'Kustomization'), 'utf8')) as {
      resources: string[];
    };
    for (const file of kustomization.resources) {
      const newer = kindsIn(file).filter((k) => NEWER_THAN_1_29.has(k));
      assert.deepEqual(newer, [], `${file} needs Kubernetes 1.30+`);
    }
  });

  it('keep the create limits as an optional manifest', () => {
    assert.deepEqual(kindsIn('optional/create-limits.yaml'), [
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
  });
});
