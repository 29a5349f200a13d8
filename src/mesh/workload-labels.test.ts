import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workloadLabels } from './workload-labels.js';

describe('workload labels (Istio precedence)', () => {
  const cases: [string, Record<string, string>, ReturnType<typeof workloadLabels>][] = [
    [
      'nothing: the workload, latest',
      {},
      { canonicalService: 'cart', canonicalRevision: 'latest' },
    ],
    [
      'app and version',
      { app: 'shop', version: 'v2' },
      { app: 'shop', version: 'v2', canonicalService: 'shop', canonicalRevision: 'v2' },
    ],
    [
      'app.kubernetes.io wins over app for the canonical pair, not for app itself',
      { app: 'a', version: 'v1', 'app.kubernetes.io/name': 'k', 'app.kubernetes.io/version': 'k1' },
      { app: 'a', version: 'v1', canonicalService: 'k', canonicalRevision: 'k1' },
    ],
    [
      'the canonical labels win over everything',
      {
        app: 'a',
        'app.kubernetes.io/name': 'k',
        'service.istio.io/canonical-name': 'c',
        'service.istio.io/canonical-revision': 'r',
      },
      { app: 'a', canonicalService: 'c', canonicalRevision: 'r' },
    ],
    [
      'only the recommended labels: they stand in for app and version',
      { 'app.kubernetes.io/name': 'k', 'app.kubernetes.io/version': 'k1' },
      { app: 'k', version: 'k1', canonicalService: 'k', canonicalRevision: 'k1' },
    ],
  ];
  for (const [name, labels, want] of cases) {
    it(name, () => assert.deepEqual(workloadLabels(labels, 'cart'), want));
  }
});
