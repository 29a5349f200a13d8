// The destination reporter names a caller a scoped sidecar learns on demand
// (pod/<ip>) on that caller's first request, however long discovery takes within
// its bound: the real-node journey once found step 3's first requests labelled
// `unknown` because the lookup was cut at 1 s. The answer here takes 1.5 s.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { testLeaf } from '../test/support/test-leaf.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import { createEphemeralCa } from '../src/pki/index.js';
import type { EphemeralCa } from '../src/pki/index.js';
import { inboundProxyConfig, serverCredentials } from '../test/support/inbound-proxy.js';
import { metricValue } from '../test/support/metrics.js';
import { callerLookup } from './inbound.js';
import { createProxy } from './proxy.js';
import type { Outcome } from './subscriptions.js';

const NS = 'shop';
const id = (sa: string): string => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;
const ANSWER_MS = 1500;

const meshOf = (appPort: number, callerKnown: boolean): MeshIndex =>
  compileMesh(
    MeshConfigSchema.parse({
      inbound: { mode: 'STRICT', ports: [{ port: appPort, protocol: 'http' }] },
      // The caller (this test, on loopback) as a pod/<ip> answer names it.
      pods: callerKnown
        ? [{ address: '127.0.0.1', identity: id('alpha'), workload: 'alpha', services: [] }]
        : [],
    }),
    NS,
  );

/** One HTTP/1.1 GET over mTLS as `cred`; resolves with the status line and the time taken. */
function get(
  port: number,
  ca: string,
  cred: { cert: string; key: string },
): Promise<{ status: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      ca,
      ...cred,
      ALPNProtocols: ['http/1.1'],
      checkServerIdentity: () => undefined,
    });
    let data = '';
    s.on('secureConnect', () =>
      s.write('GET /x HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n'),
    );
    s.on('data', (c: Buffer) => (data += c.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve({ status: data.split('\r\n')[0] ?? '', ms: Date.now() - started }));
  });
}

describe('inbound: a caller learnt on demand is named on its first request', () => {
  let ca: EphemeralCa;
  let alpha: { cert: string; key: string };
  let app: http.Server;
  let appPort = 0;

  before(async () => {
    ca = await createEphemeralCa('weft-test-mesh', 3_600_000);
    alpha = await testLeaf(ca, id('alpha'));
    app = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appPort = (app.address() as AddressInfo).port;
  });
  after(() => app.close());

  async function scenario(live: boolean): Promise<{ ms: number; alpha: number; unknown: number }> {
    let mesh = meshOf(appPort, false);
    const registry = new Registry();
    const onDemand = {
      live,
      endpoints: (): undefined => undefined,
      pod: (): Promise<Outcome> =>
        new Promise((r) =>
          setTimeout(() => {
            mesh = meshOf(appPort, true);
            r('ready');
          }, ANSWER_MS),
        ),
    };
    const proxy = createProxy({
      config: inboundProxyConfig(NS),
      workload: 'web',
      registry,
      log: createLogger({}, 'error', () => undefined),
      creds: serverCredentials(id('web'), await testLeaf(ca, id('web')), ca.certPem),
      mesh: () => mesh,
      onDemand,
      originalDst: () => ({ address: '127.0.0.1', port: appPort }),
    });
    await new Promise<void>((r) => proxy.inbound.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.inbound.address() as AddressInfo).port;
      const r = await get(port, ca.certPem, alpha);
      assert.equal(r.status, 'HTTP/1.1 200 OK');
      const count = (workload: string): Promise<number> =>
        metricValue(registry, 'istio_requests_total', {
          reporter: 'destination',
          source_workload: workload,
        });
      return { ms: r.ms, alpha: await count('alpha'), unknown: await count('unknown') };
    } finally {
      proxy.inbound.close();
      proxy.pool.close();
    }
  }

  it('waits for an answer slower than the old 1 s bound, and the request names alpha', async () => {
    const r = await scenario(true);
    assert.deepEqual([r.alpha, r.unknown], [1, 0]);
    assert.ok(r.ms >= ANSWER_MS - 100, `the connection waited for the answer (${r.ms} ms)`);
  });

  it('while discovery is down nobody waits (metrics only depend on it)', async () => {
    const r = await scenario(false);
    assert.ok(r.ms < ANSWER_MS - 500, `not held (${r.ms} ms)`);
    assert.deepEqual([r.alpha, r.unknown], [0, 1]);
  });

  it('an answer that never comes is bounded', async () => {
    const never = {
      live: true,
      endpoints: () => undefined,
      pod: () => new Promise<Outcome>(() => undefined),
    };
    const mesh = meshOf(1, false);
    const started = Date.now();
    await callerLookup('127.0.0.1', { onDemand: never, mesh: () => mesh }, 200);
    assert.ok(Date.now() - started < 1000);
  });
});
