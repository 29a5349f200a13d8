// Routes in the control plane against the real API server: discovery started on a
// cluster without the Gateway API runs as before, then picks up the CRDs installed
// later (no restart), streams HTTPRoutes with a Service parent to a connected
// sidecar (the real protocol and view code, test/support/discovery-peer.ts), and
// writes their status.parents as weft's own ServiceAccount (the shipped RBAC).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import type { MeshConfig, RouteEntry } from '../../src/mesh/config.js';
import { routeKey } from '../../src/mesh/view.js';
import {
  CONTROLLER_NAME,
  GRPC_ROUTE,
  HTTP_ROUTE,
  REFERENCE_GRANT,
} from '../../src/routes/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import {
  createNamespace,
  eventually,
  serviceAccountKubeconfig,
  uniqueName,
} from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { discoveryPeer } from '../support/discovery-peer.js';
import type { DiscoveryPeer } from '../support/discovery-peer.js';
import { installGatewayApi } from '../support/gateway-api.js';
import { meshLeaf } from '../support/mtls-attempt.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';

const WEB_IP = '127.0.10.1';
const PARENT = { group: '', kind: 'Service', name: 'echo', port: 80 };

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}
interface ParentStatus {
  parentRef: Record<string, unknown>;
  controllerName: string;
  conditions: Condition[];
}
interface RouteObj {
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: { parents?: ParentStatus[] };
}

describe('routes in the control plane', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let discovery: RunningDiscovery;
  let cluster: TestCluster;
  let custom: CustomObjectsApi;
  let peer: DiscoveryPeer;
  let startReplica: (kubeconfig?: string, requireGrant?: boolean) => Promise<RunningDiscovery>;
  const logs: string[] = [];
  const ns = uniqueName('droutes');
  const far = uniqueName('dfar');

  const routeOf = (c: MeshConfig, name: string): RouteEntry | undefined =>
    c.routes.find((r) => r.namespace === ns && r.name === name);

  /** Creates or replaces an HTTPRoute (as its author would, with the admin's rights). */
  async function route(name: string, spec: Record<string, unknown>, namespace = ns) {
    const { group, version, plural } = HTTP_ROUTE;
    const body = {
      apiVersion: `${group}/${version}`,
      kind: 'HTTPRoute',
      metadata: { name, namespace },
      spec,
    };
    const existing = (await custom
      .getNamespacedCustomObject({ group, version, plural, namespace, name })
      .catch(() => undefined)) as RouteObj | undefined;
    if (!existing) {
      await custom.createNamespacedCustomObject({ group, version, plural, namespace, body });
      return;
    }
    await custom.replaceNamespacedCustomObject({
      group,
      version,
      plural,
      namespace,
      name,
      body: {
        ...body,
        metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion },
      },
    });
  }

  const read = async (name: string): Promise<RouteObj> => {
    const { group, version, plural } = HTTP_ROUTE;
    return (await custom.getNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns,
      name,
    })) as RouteObj;
  };

  const ours = (o: RouteObj): ParentStatus[] =>
    (o.status?.parents ?? []).filter((p) => p.controllerName === CONTROLLER_NAME);

  /** Waits until weft's entry for the route says `want` (e.g. ['Accepted=True/Accepted', ...]). */
  const statusOf = (name: string, want: string[]): Promise<RouteObj> =>
    eventually(
      `${name}'s status to be ${want.join(', ')}`,
      async () => {
        const o = await read(name);
        const got = ours(o).flatMap((p) =>
          p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
        );
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
    await createNamespace(cp.kubeConfig, far);
    cluster = new TestCluster(cp.kubeConfig, ns);
    await cluster.serviceAccount('web');
    await cluster.pod({ name: 'web-1', serviceAccount: 'web', ip: WEB_IP, labels: { app: 'web' } });
    for (const name of ['echo', 'echo-v1']) {
      await cluster.service(name, { ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    }
    await new TestCluster(cp.kubeConfig, far).service('far', {
      ports: [{ name: 'http', port: 80 }],
    });
    const authority = ca.ca.authority();
    const serving = await issueServingCertificate(
      authority,
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: ['127.0.0.1'] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    // As weft's own ServiceAccount (the CA's kubeconfig): the shipped RBAC is what is tested.
    // Grants required (`--require-reference-grant`), so the consent path is what most of
    // the suite checks; the last test runs a replica with the default (GEP-1294: none).
    startReplica = (kubeconfig = ca.kubeconfig, requireGrant = true) =>
      startDiscovery(
        parseConfig(DiscoveryConfigSchema, {
          listen: '127.0.0.1:0',
          kubeconfig,
          debounceMs: '50',
          gatewayApiPollMs: '500',
          requireReferenceGrant: requireGrant,
        }),
        { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
        createRegistry('discovery'),
        createLogger({ component: 'discovery' }, 'info', (l) => logs.push(l)),
      );
    discovery = await startReplica();
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

  it('runs without the Gateway API CRDs (ready, one info line), then picks up routes once they are installed', async () => {
    assert.equal(discovery.ready(), undefined);
    await peer
      .until('a first view', (c) => (c.services.length ? true : undefined))
      .catch(async (err: Error) => {
        const why = [await peer.status(), ...peer.nacks, ...peer.body, ...logs.slice(-20)];
        throw new Error(`${err.message}\n${why.join('\n')}`);
      });
    assert.deepEqual(peer.config!.routes, []);
    await new Promise((r) => setTimeout(r, 1_500)); // three polls
    const off = logs.filter((l) => l.includes('routes off'));
    assert.equal(off.length, 1, off.join('\n'));
    assert.match(off[0]!, /"level":"info"/);
    assert.match(off[0]!, /not installed/);
    assert.equal(logs.filter((l) => l.includes('"level":"error"')).length, 0, logs.join('\n'));

    await installGatewayApi(cp.kubeconfigPath, 'experimental');
    await eventually('discovery to watch the Gateway API', () =>
      Promise.resolve(logs.some((l) => l.includes('routes on')) ? true : undefined),
    );
    await route('late', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }],
    });
    const late = await peer.until('the route to arrive', (c) => routeOf(c, 'late'));
    assert.equal(late.kind, 'HTTPRoute');
    assert.deepEqual((late.spec as { parentRefs: unknown[] }).parentRefs, [PARENT]);
    assert.equal(discovery.ready(), undefined);

    // GRPCRoutes the same way, with their own resource name.
    const { group, version, plural } = GRPC_ROUTE;
    await custom.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'GRPCRoute',
        metadata: { name: 'rpc' },
        spec: { parentRefs: [PARENT], rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }] },
      },
    });
    await peer.until('the GRPCRoute to arrive', (c) =>
      c.routes.find((r) => r.kind === 'GRPCRoute' && r.name === 'rpc'),
    );
    await eventually('the GRPCRoute to be Accepted', async () => {
      const o = (await custom.getNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: ns,
        name: 'rpc',
      })) as RouteObj;
      return ours(o)[0]?.conditions.every((c) => c.status === 'True') ? true : undefined;
    });
    assert.ok(peer.view.has(`route/grpcroute/${ns}/rpc`));
  });

  it('sends a changed route alone, and removes a deleted one', async () => {
    await route('split', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }],
    });
    const first = await peer.until('split to arrive', (c) => routeOf(c, 'split'));
    // Let the status write (an update event with the same spec) settle first.
    await statusOf('split', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    await new Promise((r) => setTimeout(r, 300));
    const before = peer.messages.length;
    await route('split', {
      parentRefs: [PARENT],
      rules: [
        {
          backendRefs: [
            { name: 'echo-v1', port: 80, weight: 90 },
            { name: 'echo', port: 80, weight: 10 },
          ],
        },
      ],
    });
    await peer.until('the change', (c) =>
      (routeOf(c, 'split')?.generation ?? 0) > (first.generation ?? 0) ? true : undefined,
    );
    const names = peer.messages
      .slice(before)
      .flatMap((m) => m.resources.map((r) => (r as { name: string }).name));
    assert.deepEqual([...new Set(names)], [routeKey('HTTPRoute', ns, 'split')]);

    // A route whose parents are only Gateways is not the mesh's.
    await route('ingress-only', { parentRefs: [{ name: 'gw' }], rules: [{}] });
    const { group, version, plural } = HTTP_ROUTE;
    await custom.deleteNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: ns,
      name: 'split',
    });
    await peer.until('split to go', (c) => (routeOf(c, 'split') ? undefined : true));
    assert.equal(routeOf(peer.config!, 'ingress-only'), undefined);
    assert.deepEqual(ours(await read('ingress-only')), [], 'no status on a route that is not ours');
  });

  it('marks a good route Accepted and ResolvedRefs, with generation, controller and parentRef as written', async () => {
    await route('good', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }],
    });
    const o = await statusOf('good', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    const [entry] = ours(o);
    assert.deepEqual(entry!.parentRef, PARENT);
    for (const c of entry!.conditions) {
      assert.equal(c.observedGeneration, o.metadata.generation);
      assert.ok(Date.parse(c.lastTransitionTime) > 0);
    }
  });

  it('says BackendNotFound until the backend Service exists, then ResolvedRefs', async () => {
    await route('canary', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v2', port: 80 }] }],
    });
    const missing = await statusOf('canary', [
      'Accepted=True/Accepted',
      'ResolvedRefs=False/BackendNotFound',
    ]);
    const acceptedAt = ours(missing)[0]!.conditions[0]!.lastTransitionTime;
    await cluster.service('echo-v2', { ports: [{ name: 'http', port: 80 }] });
    const found = await statusOf('canary', [
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    // Accepted did not change status: its transition time stays.
    assert.equal(ours(found)[0]!.conditions[0]!.lastTransitionTime, acceptedAt);
  });

  it('says RefNotPermitted for a cross-namespace backend until a ReferenceGrant allows it', async () => {
    await route('cross', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'far', namespace: far, port: 80 }] }],
    });
    await statusOf('cross', ['Accepted=True/Accepted', 'ResolvedRefs=False/RefNotPermitted']);
    // The sidecars are told not to send there (they answer 500 for it).
    await peer.until('cross to arrive refused', (c) =>
      routeOf(c, 'cross')?.refusedBackends?.join() === `${far}/far` ? true : undefined,
    );
    const { group, version, plural } = REFERENCE_GRANT;
    await custom.createNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: far,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'ReferenceGrant',
        metadata: { name: 'from-routes' },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: ns }],
          to: [{ group: '', kind: 'Service' }],
        },
      },
    });
    await statusOf('cross', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    await peer.until('cross to arrive allowed', (c) => {
      const r = routeOf(c, 'cross');
      return r && r.refusedBackends === undefined ? true : undefined;
    });
  });

  it('says UnsupportedValue for a field weft does not implement, and still streams the route', async () => {
    await route('ext', {
      parentRefs: [PARENT],
      rules: [
        {
          filters: [
            {
              type: 'ExtensionRef',
              extensionRef: { group: 'example.com', kind: 'Foo', name: 'x' },
            },
          ],
          backendRefs: [{ name: 'echo-v1', port: 80 }],
        },
      ],
    });
    const o = await statusOf('ext', [
      'Accepted=False/UnsupportedValue',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    assert.match(ours(o)[0]!.conditions[0]!.message, /extensionRef: not implemented by weft/);
    // The sidecar gets it and drops the bad rule itself (src/routes compiles it there too).
    await peer.until('ext to arrive', (c) => routeOf(c, 'ext'));
  });

  it("keeps another controller's parent status entry", async () => {
    const gwParent = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' };
    await route('shared', {
      parentRefs: [gwParent, PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }],
    });
    const first = await statusOf('shared', [
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    const theirs: ParentStatus = {
      parentRef: gwParent,
      controllerName: 'example.com/gateway-controller',
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: 'an ingress controller wrote this',
          observedGeneration: first.metadata.generation,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    const { group, version, plural } = HTTP_ROUTE;
    await custom.replaceNamespacedCustomObjectStatus({
      group,
      version,
      plural,
      namespace: ns,
      name: 'shared',
      body: { ...first, status: { parents: [theirs, ...(first.status?.parents ?? [])] } },
    });
    // A spec change makes discovery rewrite its own entry (a new observedGeneration).
    await route('shared', {
      parentRefs: [gwParent, PARENT],
      rules: [{ backendRefs: [{ name: 'echo-v2', port: 80 }] }],
    });
    const after = await eventually('weft to write the new generation', async () => {
      const o = await read('shared');
      const gen = ours(o)[0]?.conditions[0]?.observedGeneration;
      return gen === o.metadata.generation && gen !== first.metadata.generation ? o : undefined;
    });
    const kept = after.status!.parents!.filter((p) => p.controllerName !== CONTROLLER_NAME);
    assert.deepEqual(kept, [theirs]);
    assert.equal(ours(after).length, 1);
  });

  it('two replicas do not fight over status: nothing is rewritten once it holds', async () => {
    const second = await startReplica();
    try {
      await eventually('the second replica to be ready', () =>
        Promise.resolve(second.ready() === undefined ? true : undefined),
      );
      const { group, version, plural } = HTTP_ROUTE;
      const versions = async (): Promise<string> => {
        const list = (await custom.listNamespacedCustomObject({
          group,
          version,
          plural,
          namespace: ns,
        })) as { items: RouteObj[] };
        return list.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).join();
      };
      await new Promise((r) => setTimeout(r, 1_000));
      const settled = await versions();
      // Rebuilds on both replicas (each recomputes every route's status at its own moment).
      await cluster.service('unrelated', { ports: [{ name: 'http', port: 80 }] });
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(await versions(), settled);
    } finally {
      await second.stop();
    }
  });
  // The Gateway API kinds list one by one, and a list can fail and be retried: a route
  // that listed before the ReferenceGrants must not be marked RefNotPermitted for a
  // grant that exists. A replica whose ReferenceGrant list is refused (RBAC, as a slow
  // or failing list would leave it) writes no status until the grants have listed.
  it('writes no route status until the ReferenceGrants have listed', async () => {
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const shipped = await rbac.readClusterRole({ name: 'weft-control-plane' });
    const withoutGrants = (shipped.rules ?? []).map((r): V1PolicyRule => ({
      ...r,
      resources: r.resources?.filter((x) => x !== 'referencegrants'),
    }));
    const name = 'weft-late-grants';
    await core.createNamespacedServiceAccount({
      namespace: 'weft-system',
      body: { metadata: { name } },
    });
    await rbac.createClusterRole({ body: { metadata: { name }, rules: withoutGrants } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: 'weft-system' }],
      },
    });
    const kubeconfig = await serviceAccountKubeconfig(cp, 'weft-system', name);

    // Only the replica under test writes from here on (its open stream would hold stop()).
    peer.close();
    await discovery.stop();
    const before = await statusOf('cross', [
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    // Allowed by the grant 'from-routes' (an earlier test), with no status yet.
    await route('granted', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'far', namespace: far, port: 80 }] }],
    });
    discovery = await startReplica(kubeconfig);
    await new Promise((r) => setTimeout(r, 2_000)); // many rebuilds (debounce 50 ms)
    assert.deepEqual(ours(await read('granted')), [], 'no status before the grants listed');
    const cross = await read('cross');
    assert.equal(cross.metadata.resourceVersion, before.metadata.resourceVersion);

    await rbac.replaceClusterRole({ name, body: { metadata: { name }, rules: shipped.rules } });
    // The grants list on the watch's next try (3 s): then the status is written, and right.
    await statusOf('granted', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    assert.equal((await read('cross')).metadata.resourceVersion, before.metadata.resourceVersion);
  });
  it('by default (GEP-1294) needs no ReferenceGrant: ResolvedRefs, and nothing refused in the view', async () => {
    // One replica writes status at a time: the strict one goes, a default one comes.
    await discovery.stop();
    discovery = await startReplica(ca.kubeconfig, false);
    const elsewhere = uniqueName('dother');
    await createNamespace(cp.kubeConfig, elsewhere);
    await new TestCluster(cp.kubeConfig, elsewhere).service('api', {
      ports: [{ name: 'http', port: 80 }],
    });
    // No grant in `elsewhere` at all (the one from an earlier test is in `far`).
    await route('open', {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'api', namespace: elsewhere, port: 80 }] }],
    });
    await statusOf('open', ['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    const viewer = discoveryPeer({
      port: discovery.port,
      credential: await meshLeaf(ca.ca.authority(), {
        uri: `spiffe://cluster.local/ns/${ns}/sa/web`,
      }),
      roots: ca.ca.roots(),
      localAddress: WEB_IP,
    });
    try {
      await viewer.until('open to arrive with nothing refused', (c) => {
        const r = routeOf(c, 'open');
        return r && r.refusedBackends === undefined ? true : undefined;
      });
    } finally {
      viewer.close();
    }
  });
});
