// End to end: pods as network namespaces with weft-init's iptables rules, their
// apps, and real `weft sidecar` processes with certificates from weft's CA. The
// client app calls http://echo with no knowledge of the mesh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ECHO_VIP, startMesh } from '../support/mesh-fixture.js';
import type { MeshFixture } from '../support/mesh-fixture.js';

interface Many {
  results: { status: number; pod?: string; xfcc?: string; traceparent?: string; error?: string }[];
}

describe('sidecar mesh', { timeout: 240_000 }, () => {
  let mesh: MeshFixture;
  before(async () => {
    mesh = await startMesh({ servers: 3 });
  });
  after(async () => {
    await mesh?.stop();
  });

  it('captures plain HTTP, crosses mTLS and spreads one keep-alive client over every pod', () => {
    const r = mesh.call<Many>('http', 'http://echo/hello', 30);
    assert.equal(r.results.length, 30);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      // The server's sidecar vouches for the client's verified identity.
      assert.match(x.xfcc!, new RegExp(`URI=${mesh.spiffe('client')}$`));
      assert.match(x.xfcc!, new RegExp(`^By=${mesh.spiffe('echo')};`));
      // Same trace, a new span for each sidecar hop.
      assert.match(x.traceparent!, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      assert.doesNotMatch(x.traceparent!, /b7ad6b7169203331/);
    }
    const pods = new Set(r.results.map((x) => x.pod));
    assert.deepEqual([...pods].sort(), ['echo-1', 'echo-2', 'echo-3']);
    // Round robin: an even spread.
    for (const p of pods) assert.equal(r.results.filter((x) => x.pod === p).length, 10);
  });

  it('routes by Host to the service FQDN and by address to the ClusterIP', () => {
    const byName = mesh.call<Many>('http', `http://echo.${mesh.namespace}.svc.cluster.local/x`, 2);
    assert.deepEqual(
      byName.results.map((x) => x.status),
      [200, 200],
    );
    const byIp = mesh.call<Many>('http', `http://${ECHO_VIP}/x`, 2);
    assert.deepEqual(
      byIp.results.map((x) => x.status),
      [200, 200],
    );
  });

  it('streams request bodies with Expect: 100-continue and chunked responses', () => {
    const r = mesh.call<{ status: number; continued: boolean; echoed: number }>(
      'post',
      'http://echo/upload',
      200_000,
    );
    assert.deepEqual(r, { status: 200, continued: true, echoed: 200_000 });
    const s = mesh.call<{ status: number; body: string }>('stream', 'http://echo/stream');
    assert.equal(s.status, 200);
    assert.equal(s.body, 'chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n');
  });

  it('carries HTTP/2 (gRPC-shaped, with trailers) across the pair', () => {
    const r = mesh.call<{ status: number; body: string; grpcStatus: string; pod: string }>(
      'h2',
      'http://echo:9090',
    );
    assert.equal(r.status, 200);
    assert.equal(r.grpcStatus, '0');
    assert.match(r.pod, /^echo-\d$/);
    assert.equal(r.body, `${r.pod}:ping`);
  });

  it('carries WebSocket upgrades', () => {
    const r = mesh.call<{ status: number; echoed: string }>('ws', 'echo', 80);
    assert.equal(r.status, 101);
    assert.equal(r.echoed, 'hello-ws');
  });

  it('carries opaque TCP over mTLS', () => {
    const r = mesh.call<{ echoed: string }>('tcp', 'echo', 5432, 'SELECT 1;');
    assert.equal(r.echoed, 'SELECT 1;');
  });
});
