// A pod calling a Service that includes itself (the bug the Gateway API conformance
// suite found, docs/conformance.md): pods as network namespaces with weft-init's
// real rules and real sidecars as UID 1337. The client's sidecar balances to its own
// pod's IP; that dial must reach its own inbound listener (mTLS, policy, metrics),
// and the inbound listener's dial to the app (from 127.0.0.6) must reach the app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMesh } from '../support/mesh-fixture.js';
import type { MeshFixture } from '../support/mesh-fixture.js';

interface Many {
  results: { status: number; pod?: string; remote?: string; xfcc?: string; error?: string }[];
}

/** A sidecar's samples of `name` whose label text contains every one of `labels`. */
async function samples(ip: string, name: string, labels: readonly string[]): Promise<number> {
  const text = await (await fetch(`http://${ip}:15020/stats/prometheus`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('a pod calling a Service that includes itself', { timeout: 180_000 }, () => {
  let mesh: MeshFixture;
  before(async () => {
    mesh = await startMesh({ servers: 1 });
  });
  after(async () => {
    await mesh?.stop();
  });

  /** Points the echo Service at these pods (the sidecars poll the file every second). */
  const echoIs = async (pods: readonly ('client' | 'echo-1')[]): Promise<void> => {
    const address = { client: mesh.client.pod.ip, 'echo-1': mesh.servers[0]!.pod.ip };
    mesh.writeConfig((c) => {
      c.services[0]!.endpoints = pods.map((p) => ({
        address: address[p],
        identity: mesh.spiffe(p === 'client' ? 'client' : 'echo'),
        workload: p === 'client' ? 'client' : 'echo',
      }));
    });
    // Reloads are polled each second; two cycles and a margin.
    await new Promise((r) => setTimeout(r, 2500));
  };

  it('reaches its own app over mTLS when the Service has only itself (HTTP/1, HTTP/2, Upgrade, TCP)', async () => {
    const me = mesh.spiffe('client');
    const before = await samples(mesh.client.pod.ip, 'istio_requests_total', [
      'reporter="destination"',
      `source_principal="${me}"`,
    ]);
    await echoIs(['client']);
    const r = await mesh.call<Many>('http', 'http://echo/self', 6);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      assert.equal(x.pod, 'client');
      // Its own inbound sidecar verified its own certificate and vouches for it.
      assert.equal(x.xfcc, `By=${me};URI=${me}`);
      // The inbound sidecar's connection to the app comes from 127.0.0.6.
      assert.equal(x.remote, '127.0.0.6');
    }
    const h2 = await mesh.call<{ status: number; body: string; grpcStatus: string }>(
      'h2',
      'http://echo:9090',
    );
    assert.deepEqual([h2.status, h2.grpcStatus, h2.body], [200, '0', 'client:ping']);
    const ws = await mesh.call<{ status: number; echoed: string }>('ws', 'echo', 80);
    assert.deepEqual(ws, { status: 101, echoed: 'hello-ws' });
    const tcp = await mesh.call<{ echoed: string }>('tcp', 'echo', 5432, 'SELECT self;');
    assert.equal(tcp.echoed, 'SELECT self;');
    // The destination side of the same sidecar counted them, as mutual TLS from itself.
    const counted = await samples(mesh.client.pod.ip, 'istio_requests_total', [
      'reporter="destination"',
      `source_principal="${me}"`,
      `destination_principal="${me}"`,
      'connection_security_policy="mutual_tls"',
    ]);
    assert.ok(counted - before >= 7, `destination-reported self calls: ${counted - before}`);
  });

  it('answers every request when the Service holds the caller and another pod (MeshBasic)', async () => {
    await echoIs(['client', 'echo-1']);
    const r = await mesh.call<Many>('http', 'http://echo/both', 10);
    assert.deepEqual(
      r.results.map((x) => x.status),
      Array(10).fill(200),
      JSON.stringify(r.results.filter((x) => x.status !== 200)),
    );
    // Round robin over both: five each, the other pod's sidecar vouching for the client too.
    for (const pod of ['client', 'echo-1']) {
      const got = r.results.filter((x) => x.pod === pod);
      assert.equal(got.length, 5, pod);
      for (const x of got) {
        assert.match(x.xfcc!, new RegExp(`URI=${mesh.spiffe('client')}$`));
        assert.equal(x.remote, '127.0.0.6');
      }
    }
  });

  it('leaves the app calling its own pod IP direct, and runs the probes on the pod IP', async () => {
    // Not captured: the app reaches itself without a sidecar, so no XFCC.
    const ip = mesh.client.pod.ip;
    const direct = await mesh.call<Many>('http', `http://${ip}:8080/direct`, 1);
    assert.equal(direct.results[0]!.status, 200);
    assert.equal(direct.results[0]!.xfcc, undefined);
    assert.equal(direct.results[0]!.remote, ip);
    // The probes: the sidecar (UID 1337) dials the pod IP, from 127.0.0.6, not recaptured.
    const server = mesh.servers[0]!;
    const probe = async (p: string): Promise<number> =>
      (await fetch(`http://${server.pod.ip}:15020/app-health/app/${p}`)).status;
    assert.equal(await probe('livez'), 200);
    // The loopback-only debug server still fails its probe (the kubelet could not reach it).
    assert.equal(await probe('readyz'), 503);
    assert.ok(server.app.output.some((l) => l.includes('"probe":"yes"')));
  });
});
