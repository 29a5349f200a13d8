import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseAdmissionReview } from './admission.js';

const ok = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    object: {},
  },
};

it('parses a v1 AdmissionReview', () => {
  assert.equal(parseAdmissionReview(ok).uid, 'u1');
});

for (const [what, body, pattern] of [
  ['an array', [], /JSON AdmissionReview object/],
  ['v1beta1', { ...ok, apiVersion: 'admission.k8s.io/v1beta1' }, /got admission.k8s.io\/v1beta1/],
  ['no request', { ...ok, request: undefined }, /request is missing/],
  ['no uid', { ...ok, request: { ...ok.request, uid: '' } }, /request.uid is missing/],
  [
    'a string object',
    { ...ok, request: { ...ok.request, object: 'pod' } },
    /request.object must be an object/,
  ],
] as [string, unknown, RegExp][]) {
  it(`refuses ${what}`, () => assert.throws(() => parseAdmissionReview(body), pattern));
}
