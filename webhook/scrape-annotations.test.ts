import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inject } from './inject.js';
import { InjectionConfigSchema } from './injection-config.js';

const config = InjectionConfigSchema.parse({});
const pod = (annotations?: Record<string, string>) => ({
  metadata: { name: 'p', namespace: 'apps', ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'app', image: 'example.com/app:1' }] },
});
const prometheusOf = (a: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k.startsWith('prometheus.io/')));

describe("inject: Prometheus's scrape annotations", () => {
  it("point a pod without any at the sidecar's :15020/stats/prometheus", () => {
    assert.deepEqual(prometheusOf(inject(pod(), config).metadata?.annotations), {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15020',
      'prometheus.io/path': '/stats/prometheus',
    });
  });

  // Before: each missing key was filled in, so the app's port got the sidecar's path.
  const own: Record<string, string>[] = [
    { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
    { 'prometheus.io/scrape': 'false' },
    { 'prometheus.io/scheme': 'https' },
    { 'prometheus.io/path': '/custom' },
  ];
  for (const annotations of own) {
    it(`leave a pod's own ${JSON.stringify(annotations)} exactly as they are`, () => {
      const out = inject(pod(annotations), config);
      assert.deepEqual(prometheusOf(out.metadata?.annotations), annotations);
      const status = JSON.parse(out.metadata?.annotations?.['weft.dev/status'] ?? '{}') as {
        annotations: string[];
      };
      assert.deepEqual(status.annotations, ['kubectl.kubernetes.io/default-container']);
    });
  }

  it('injecting twice gives the same annotations', () => {
    const once = inject(pod({ 'prometheus.io/port': '9090' }), config);
    assert.deepEqual(inject(once, config).metadata, once.metadata);
    const plain = inject(pod(), config);
    assert.deepEqual(inject(plain, config).metadata, plain.metadata);
  });
});
