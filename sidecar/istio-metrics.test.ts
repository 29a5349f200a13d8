import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { IstioMetrics } from './istio-metrics.js';
import type { Peers } from './istio-metrics.js';
import { workloadOf } from './main.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import { PeerLabels } from './peers.js';

describe('Istio standard metrics', () => {
  const config = MeshConfigSchema.parse({
    services: [
      {
        name: 'echo',
        namespace: 'demo',
        ports: [{ port: 80 }],
        endpoints: [
          {
            address: '10.0.0.7',
            identity: 'spiffe://cluster.local/ns/demo/sa/echo',
            workload: 'echo-v1',
          },
        ],
      },
    ],
  });
  const mesh = compileMesh(config, 'demo');
  const self = {
    namespace: 'demo',
    ip: '10.0.0.9',
    workload: 'client',
    app: 'client',
    version: 'unknown',
    principal: () => 'spiffe://cluster.local/ns/demo/sa/client',
  };
  const labels = new PeerLabels(self, () => mesh);

  it('names, labels and buckets as Istio does', async () => {
    const registry = new Registry();
    const metrics = new IstioMetrics(registry);
    const service = config.services[0]!;
    const peers: Peers = labels.outbound(service, service.endpoints[0]);
    metrics.request(peers, {
      protocol: 'http',
      code: 200,
      grpcStatus: '',
      flags: '-',
      durationMs: 3,
      requestBytes: 120,
      responseBytes: 1100,
    });
    const text = await registry.metrics();
    assert.match(
      text,
      /istio_requests_total\{reporter="source",source_workload="client",.*destination_workload="echo-v1",.*destination_service="echo\.demo\.svc\.cluster\.local",.*connection_security_policy="unknown",request_protocol="http",response_code="200",grpc_response_status="",response_flags="-"\} 1/,
    );
    assert.match(text, /istio_request_duration_milliseconds_bucket\{le="0\.5",/);
    assert.match(text, /istio_request_duration_milliseconds_bucket\{le="3600000",/);
    assert.match(text, /istio_response_bytes_bucket\{le="100000000",/);
    for (const name of ['istio_tcp_sent_bytes_total', 'istio_tcp_connections_closed_total']) {
      assert.match(text, new RegExp(`# TYPE ${name} counter`));
    }
  });

  it('labels the destination side from the verified peer and this pod', () => {
    const p = labels.inbound('spiffe://cluster.local/ns/other/sa/caller', '10.0.0.7', 80);
    assert.equal(p.reporter, 'destination');
    assert.equal(p.source_principal, 'spiffe://cluster.local/ns/other/sa/caller');
    assert.equal(p.source_workload_namespace, 'other');
    assert.equal(p.source_workload, 'echo-v1');
    assert.equal(p.connection_security_policy, 'mutual_tls');
    assert.equal(labels.inbound(undefined, '192.0.2.1', 80).connection_security_policy, 'none');
    // Cached: the same labels object for the same peer.
    assert.equal(
      labels.inbound(undefined, '192.0.2.1', 80),
      labels.inbound(undefined, '192.0.2.1', 80),
    );
  });

  it('names the workload after its Deployment', () => {
    assert.equal(workloadOf('reviews-v1-7d9f8c6b5-x2x7k'), 'reviews-v1');
    assert.equal(workloadOf('client'), 'client');
  });
});
