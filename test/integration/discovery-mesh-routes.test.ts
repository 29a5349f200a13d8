// Route changes converge with no failed request, end to end: an HTTPRoute written
// to the real API server, discovery's informer and debounce, the stream to a scoped
// sidecar in a network-namespace pod, and real mTLS traffic from the app behind it.
// Under steady load the route moves echo's traffic to v2, then 50/50, then back to
// v1; each change must be in force within 10 s, and no request may fail meanwhile
// (every backend each rule names is healthy, so every request is one the rules allow).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { HTTP_ROUTE } from '../../src/routes/index.js';
import { eventually } from '../support/cluster.js';
import { DiscoveryMesh } from '../support/discovery-mesh.js';
import { installGatewayApi } from '../support/gateway-api.js';
import { CLIENT, ECHO_VIP } from '../support/mesh-fixture.js';

interface Many {
  results: { status: number; pod?: string; error?: string }[];
}
interface Load {
  ok: number;
  failed: number;
  failures: string[];
}

const PODS = [
  { name: 'client', serviceAccount: 'client' },
  { name: 'echo-1', serviceAccount: 'echo' },
  { name: 'echo-2', serviceAccount: 'echo' },
];
/** The load's length and rate: long enough to span the three changes and their checks. */
const LOAD_SECONDS = 40;
const LOAD_RPS = 20;
const CONVERGE_MS = 10_000;

type Backends = readonly { name: string; weight?: number }[];

describe('route changes converge under load (discovery → sidecar)', { timeout: 300_000 }, () => {
  let mesh: DiscoveryMesh;
  let custom: CustomObjectsApi;

  const call = (path: string, n: number): Promise<Many> =>
    mesh.run(mesh.pods.client!, CLIENT, ['http', `http://echo${path}`, n]) as Promise<Many>;

  /** Creates or replaces the HTTPRoute on echo:80, as a route author would. */
  async function writeRoute(backends: Backends): Promise<void> {
    const { group, version, plural } = HTTP_ROUTE;
    const namespace = mesh.ns;
    const name = 'echo';
    const spec = {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
      rules: [{ backendRefs: backends.map((b) => ({ ...b, port: 80 })) }],
    };
    const existing = (await custom
      .getNamespacedCustomObject({ group, version, plural, namespace, name })
      .catch(() => undefined)) as { metadata: { resourceVersion: string } } | undefined;
    const body = {
      apiVersion: `${group}/${version}`,
      kind: 'HTTPRoute',
      metadata: {
        name,
        namespace,
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec,
    };
    if (existing) {
      await custom.replaceNamespacedCustomObject({ group, version, plural, namespace, name, body });
    } else {
      await custom.createNamespacedCustomObject({ group, version, plural, namespace, body });
    }
  }

  /** Writes the route, then waits until the client's traffic shows it; the time taken, ms. */
  async function converge(
    what: string,
    backends: Backends,
    done: (pods: string[]) => boolean,
  ): Promise<number> {
    const started = Date.now();
    await writeRoute(backends);
    await eventually(
      `the route to send ${what}`,
      async () => {
        const r = await call('/converge', 20);
        const pods = r.results.map((x) => (x.status === 200 ? x.pod! : `status ${x.status}`));
        return done(pods) ? true : undefined;
      },
      CONVERGE_MS + 5_000,
    );
    return Date.now() - started;
  }

  before(async () => {
    mesh = await DiscoveryMesh.start('dmroutes', PODS);
    const { cluster, pods } = mesh;
    custom = mesh.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    // As a user does before installing weft, so discovery watches routes from its start.
    await installGatewayApi(mesh.cp.kubeconfigPath);
    const port = [{ name: 'http-web', port: 80, targetPort: 8080 }];
    const one = (pod: string) => [{ pod, ip: pods[pod]!.ip }];
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: port,
    });
    await cluster.slice('echo', [...one('echo-1'), ...one('echo-2')]);
    for (const [service, pod] of [
      ['echo-v1', 'echo-1'],
      ['echo-v2', 'echo-2'],
    ] as const) {
      await cluster.service(service, { ports: port });
      await cluster.slice(service, one(pod));
    }
    await writeRoute([{ name: 'echo-v1' }]);
    await mesh.startDiscovery();
    await mesh.meshPods(PODS);
    mesh.pods.client!.setHosts({ echo: ECHO_VIP });
    await eventually('the first route to send everything to v1', async () => {
      const r = await call('/converge', 10);
      return r.results.every((x) => x.status === 200 && x.pod === 'echo-1') ? true : undefined;
    });
  });

  after(async () => {
    await mesh?.stop();
  });

  it(`moves traffic v1 → v2 → 50/50 → v1 within ${CONVERGE_MS / 1000} s each, failing no request under ${LOAD_RPS} rps`, async (t) => {
    const load = mesh.run(mesh.pods.client!, CLIENT, [
      'load',
      'http://echo/converge',
      LOAD_SECONDS,
      LOAD_RPS,
    ]) as Promise<Load>;
    // Some steady traffic on the first route before anything changes.
    await new Promise((r) => setTimeout(r, 2_000));
    const times = {
      v2: await converge('everything to v2', [{ name: 'echo-v2' }], (pods) =>
        pods.every((p) => p === 'echo-2'),
      ),
      split: await converge(
        'half to each',
        [
          { name: 'echo-v1', weight: 50 },
          { name: 'echo-v2', weight: 50 },
        ],
        // 20 requests at p = 0.5 miss a side with probability 2^-19: a few looks suffice.
        (pods) =>
          pods.every((p) => p === 'echo-1' || p === 'echo-2') &&
          pods.includes('echo-1') &&
          pods.includes('echo-2'),
      ),
      v1: await converge('everything back to v1', [{ name: 'echo-v1' }], (pods) =>
        pods.every((p) => p === 'echo-1'),
      ),
    };
    t.diagnostic(`in force after (ms): ${JSON.stringify(times)}`);
    const result = await load;
    t.diagnostic(`load: ${JSON.stringify(result)}`);
    for (const [step, ms] of Object.entries(times)) {
      assert.ok(ms <= CONVERGE_MS, `${step} took ${ms} ms`);
    }
    assert.equal(result.failed, 0, result.failures.join('; '));
    // At 20 rps for 40 s, about 800 requests; well over half must have been answered.
    assert.ok(result.ok >= (LOAD_SECONDS * LOAD_RPS) / 2, `only ${result.ok} answered`);
  });
});
