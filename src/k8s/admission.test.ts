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
  // Found by the parser fuzzing (test/fuzz/targets/admission.ts): these reached the
  // injector and failed there with a TypeError, answered as a 500.
  ...(
    [
      [
        'initContainers a number',
        { containers: [{ name: 'a' }], initContainers: -1 },
        /spec\.initContainers: /,
      ],
      ['a container without a name', { containers: [{}] }, /spec\.containers\.0\.name: /],
      [
        'a port that is text',
        { containers: [{ name: 'a', ports: [{ containerPort: '80' }] }] },
        /containerPort: /,
      ],
      [
        'a probe port that is an object',
        { containers: [{ name: 'a', readinessProbe: { tcpSocket: { port: {} } } }] },
        /readinessProbe\.tcpSocket\.port: /,
      ],
      ['volumes an object', { containers: [{ name: 'a' }], volumes: {} }, /spec\.volumes: /],
    ] as [string, unknown, RegExp][]
  ).map(([what, spec, pattern]): [string, unknown, RegExp] => [
    `a pod whose ${what}`,
    { ...ok, request: { ...ok.request, object: { spec } } },
    pattern,
  ]),
  [
    'a pod whose annotation is a number',
    { ...ok, request: { ...ok.request, object: { metadata: { annotations: { a: 1 } } } } },
    /request\.object\.metadata\.annotations\.a: /,
  ],
  // String() of an object whose toString is not a function throws a TypeError.
  [
    'an apiVersion that cannot be printed',
    { ...ok, apiVersion: { toString: 0 } },
    /got object, AdmissionReview/,
  ],
  [
    'a namespace that is a number',
    { ...ok, request: { ...ok.request, namespace: 7 } },
    /request\.namespace /,
  ],
] as [string, unknown, RegExp][]) {
  it(`refuses ${what}`, () => assert.throws(() => parseAdmissionReview(body), pattern));
}

it('leaves objects of other kinds to their handlers', () => {
  const deployment = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const body = { ...ok, request: { ...ok.request, kind: deployment, object: { spec: 1 } } };
  assert.equal(parseAdmissionReview(body).kind.kind, 'Deployment');
});
