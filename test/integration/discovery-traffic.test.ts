// TrafficPolicies in the control plane against the real API server: discovery,
// as weft's own ServiceAccount (the shipped RBAC), streams every TrafficPolicy to
// a connected sidecar (the real protocol and view code, discovery-peer.ts) and
// writes each one's status: Accepted, Conflicted with the older policy named,
// TargetNotFound until its Service exists.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { TRAFFIC_POLICY } from '../../src/traffic/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { discoveryPeer } from '../support/discovery-peer.js';
import type { DiscoveryPeer } from '../support/discovery-peer.js';
import { meshLeaf } from '../support/mtls-attempt.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';

const WEB_IP = '127.0.11.1';

interface PolicyObj {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
}

describe('TrafficPolicies in the control plane', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let discovery: RunningDiscovery;
  let cluster: TestCluster;
  let custom: CustomObjectsApi;
  let peer: DiscoveryPeer;
  const logs: string[] = [];
  const ns = uniqueName('dtraffic');
  const { group, version, plural } = TRAFFIC_POLICY;

  const create = async (name: string, service: string, spec: Record<string, unknown> = {}) => {
    await custom.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'TrafficPolicy',
        metadata: { name },
        spec: { targetRefs: [{ group: '', kind: 'Service', name: service }], ...spec },
      },
    });
  };

  /** Waits until the policy's conditions read `want` (['Accepted=True/Accepted', ...]). */
  const statusOf = (name: string, want: string[]): Promise<PolicyObj> =>
    eventually(
      `${name}'s status to be ${want.join(', ')}`,
      async () => {
        const o = (await custom.getNamespacedCustomObject({
          group,
          version,
          plural,
          namespace: ns,
          name,
        })) as PolicyObj;
        const got = (o.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
        return got.join() === want.join() ? o : undefined;
      },
      20_000,
    );

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    ca = await startTestCa(cp);
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    await cluster.serviceAccount('web');
    await cluster.pod({ name: 'web-1', serviceAccount: 'web', ip: WEB_IP, labels: { app: 'web' } });
    await cluster.service('reviews', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    const authority = ca.ca.authority();
    const serving = await issueServingCertificate(
      authority,
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: ['127.0.0.1'] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    discovery = await startDiscovery(
      parseConfig(DiscoveryConfigSchema, {
        listen: '127.0.0.1:0',
        kubeconfig: ca.kubeconfig,
        debounceMs: '50',
      }),
      { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
      createRegistry('discovery'),
      createLogger({ component: 'discovery' }, 'info', (l) => logs.push(l)),
    );
    await eventually('discovery to be ready', () =>
      Promise.resolve(discovery.ready() === undefined ? true : undefined),
    );
    peer = discoveryPeer({
      port: discovery.port,
      credential: await meshLeaf(authority, { uri: `spiffe://cluster.local/ns/${ns}/sa/web` }),
      roots: ca.ca.roots(),
      localAddress: WEB_IP,
    });
  });

  after(async () => {
    peer?.close();
    await discovery?.stop();
    await ca?.ca.stop();
    await cp?.stop();
  });

  it('streams a TrafficPolicy to the sidecar and marks it Accepted', async () => {
    await create('reviews', 'reviews', { retries: { attempts: 3 } });
    const got = await peer
      .until('the policy to arrive', (c) => c.trafficPolicies.find((p) => p.name === 'reviews'))
      .catch((err: Error) => {
        throw new Error(`${err.message}\n${[...peer.nacks, ...logs.slice(-20)].join('\n')}`);
      });
    assert.equal(got.namespace, ns);
    assert.deepEqual((got.spec as { retries: unknown }).retries, { attempts: 3 });
    assert.ok(got.generation !== undefined && got.creationTimestamp !== '');
    await statusOf('reviews', ['Accepted=True/Accepted', 'Conflicted=False/NoConflict']);
  });

  it('marks a newer policy on the same Service Conflicted, naming the older one', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has one-second resolution
    await create('late', 'reviews', { retries: { attempts: 1 } });
    const late = await statusOf('late', [
      'Accepted=False/Conflicted',
      'Conflicted=True/Conflicted',
    ]);
    assert.match(late.status!.conditions![0]!.message, new RegExp(`${ns}/reviews applies instead`));
    await statusOf('reviews', ['Accepted=True/Accepted', 'Conflicted=True/Conflicted']);
  });

  it('says TargetNotFound until the Service exists, then Accepted', async () => {
    await create('ratings', 'ratings');
    await statusOf('ratings', ['Accepted=False/TargetNotFound', 'Conflicted=False/NoConflict']);
    await cluster.service('ratings', { ports: [{ name: 'http', port: 80 }] });
    await statusOf('ratings', ['Accepted=True/Accepted', 'Conflicted=False/NoConflict']);
    assert.equal(logs.filter((l) => l.includes('"level":"error"')).length, 0, logs.join('\n'));
  });
});
