// End to end with discovery instead of a mesh file: pods as network namespaces
// (weft-init's iptables, the test app, `weft sidecar` as UID 1337) that learn
// the mesh only from discovery running against the real API server, where the
// same pods, a Service and its EndpointSlice exist. Real mTLS traffic follows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { DiscoveryMesh } from '../support/discovery-mesh.js';
import { CLIENT, ECHO_VIP } from '../support/mesh-fixture.js';

interface Many {
  results: { status: number; pod?: string; xfcc?: string; error?: string }[];
}

const PODS = [
  { name: 'client', serviceAccount: 'client' },
  { name: 'echo-1', serviceAccount: 'echo' },
  { name: 'echo-2', serviceAccount: 'echo' },
];

describe('mesh from discovery', { timeout: 240_000 }, () => {
  let mesh: DiscoveryMesh;
  let ns: string;
  let cluster: DiscoveryMesh['cluster'];
  let pods: DiscoveryMesh['pods'];
  let sidecars: DiscoveryMesh['sidecars'];
  const spiffe = (sa: string): string => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  const call = (...args: (string | number)[]): Promise<Many> =>
    mesh.run(pods.client!, CLIENT, args) as Promise<Many>;

  before(async () => {
    mesh = await DiscoveryMesh.start('dmesh', PODS);
    ({ ns, cluster, pods, sidecars } = mesh);
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('echo', [
      { pod: 'echo-1', ip: pods['echo-1']!.ip },
      { pod: 'echo-2', ip: pods['echo-2']!.ip },
    ]);
    await mesh.startDiscovery();
    await mesh.meshPods(PODS);
    pods.client!.setHosts({ echo: ECHO_VIP, [`echo.${ns}.svc.cluster.local`]: ECHO_VIP });
  });

  after(async () => {
    await mesh?.stop();
  });

  it('carries mTLS with both identities between pods, to the endpoints discovery streamed', async () => {
    const r = await call('http', 'http://echo/hello', 10);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      assert.match(x.xfcc!, new RegExp(`^By=${spiffe('echo')};.*URI=${spiffe('client')}$`));
    }
    assert.deepEqual([...new Set(r.results.map((x) => x.pod))].sort(), ['echo-1', 'echo-2']);
  });

  it('follows an EndpointSlice change', async () => {
    const started = Date.now();
    await cluster.slice('echo', [{ pod: 'echo-2', ip: pods['echo-2']!.ip }]);
    await eventually('traffic to follow the slice', async () => {
      const r = await call('http', 'http://echo/follow', 4);
      return r.results.every((x) => x.status === 200 && x.pod === 'echo-2') ? true : undefined;
    });
    assert.ok(Date.now() - started < 15_000);
  });

  it('keeps serving on the last view while discovery is down', async () => {
    await mesh.discovery!.stop();
    mesh.discovery = undefined;
    const r = await call('http', 'http://echo/down', 4);
    assert.deepEqual(
      r.results.map((x) => [x.status, x.pod]),
      Array.from({ length: 4 }, () => [200, 'echo-2']),
    );
    await eventually('the client sidecar to notice', () =>
      Promise.resolve(
        sidecars.client!.output.some((l) => l.includes('discovery stream ended'))
          ? true
          : undefined,
      ),
    );
  });
});
