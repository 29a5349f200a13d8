import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createApp, finishApp } from '../src/http/app.js';
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { InjectionConfigSchema } from './injection-config.js';
import { createWebhookMetrics } from './metrics.js';
import { addWebhookRoutes } from './routes.js';

describe('POST /inject', () => {
  it('answers every refusal but logs a burst of them, not one line each', async () => {
    const lines: string[] = [];
    const log = createLogger({}, 'info', (l) => lines.push(l));
    const registry = createRegistry('webhook');
    const app = createApp({ registry, log, ready: () => undefined, bodyLimitBytes: 1 << 20 });
    addWebhookRoutes(app, {
      config: InjectionConfigSchema.parse({}),
      namespace: (name) => Promise.resolve({ name, labels: { 'weft.dev/inject': 'enabled' } }),
      metrics: createWebhookMetrics(registry),
      log,
    });
    finishApp(app, log);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    try {
      const review = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          namespace: 'apps',
          object: {
            metadata: { name: 'p', annotations: { 'weft.dev/include-inbound-ports': '' } },
            spec: { containers: [{ name: 'app', image: 'a' }] },
          },
        },
      });
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/inject`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: review,
        });
        const body = (await r.json()) as {
          response: { allowed: boolean; status: { code: number } };
        };
        assert.deepEqual([body.response.allowed, body.response.status.code], [false, 403]);
      }
      const refused = lines.filter((l) => l.includes('refused pod'));
      assert.ok(
        refused.length >= 1 && refused.length <= 5,
        `${refused.length} lines for 40 refusals`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
