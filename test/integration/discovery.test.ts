// Discovery against the real API server: its informers, run as weft's own
// ServiceAccount (the shipped RBAC), and its mTLS stream, spoken to by clients
// that use the real protocol and the real view code with mesh certificates from
// weft's CA. Each client connects from its own loopback address, which the pods'
// status carries as their IP, so the identity check is the real one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import type { Registry } from 'prom-client';
import type { Endpoint, MeshConfig } from '../../src/mesh/config.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { discoveryPeer } from '../support/discovery-peer.js';
import type { DiscoveryPeer } from '../support/discovery-peer.js';
import { meshLeaf } from '../support/mtls-attempt.js';
import type { Credential } from '../support/mtls-attempt.js';
import { request } from '../support/https.js';
import { caConfigFor, installManifests, startTestCa } from '../support/weft-ca.js';
import { startCa } from '../../ca/main.js';
import type { TestCa } from '../support/weft-ca.js';

const WEB_IP = '127.0.10.1';
// Endpoints only appear in views (no traffic here); the API server refuses loopback ones.
const CART_IPS = ['203.0.113.111', '203.0.113.112', '203.0.113.113'];
const LEGACY_IP = '203.0.113.120';

const endpointsOf = (c: MeshConfig, name: string): readonly Endpoint[] | undefined =>
  c.services.find((s) => s.name === name)?.endpoints;
const addresses = (eps: readonly Endpoint[] | undefined): string[] =>
  (eps ?? []).map((e) => e.address).sort();

async function metric(registry: Registry, name: string, labels = ''): Promise<number> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('discovery', { timeout: 180_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let discovery: RunningDiscovery;
  let cluster: TestCluster;
  let registry: Registry;
  const logs: string[] = [];
  const ns = uniqueName('disc');
  const peers: DiscoveryPeer[] = [];
  const spiffe = (sa: string): string => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
  let web: Credential;

  const connect = (credential: Credential, localAddress: string, extra = {}): DiscoveryPeer => {
    const p = discoveryPeer({
      port: discovery.port,
      credential,
      roots: ca.ca.roots(),
      localAddress,
      ...extra,
    });
    peers.push(p);
    return p;
  };

  /** Each test starts with no sidecar connected, so counts are its own. */
  const fresh = async (): Promise<void> => {
    for (const p of peers.splice(0)) p.close();
    await eventually('earlier streams to close', () =>
      Promise.resolve(discovery.connections().length === 0 ? true : undefined),
    );
  };

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    ca = await startTestCa(cp);
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    for (const sa of ['web', 'cart']) await cluster.serviceAccount(sa);
    await cluster.pod({ name: 'web-1', serviceAccount: 'web', ip: WEB_IP, labels: { app: 'web' } });
    for (const [i, ip] of CART_IPS.entries()) {
      await cluster.pod({
        name: `cart-${i + 1}`,
        serviceAccount: 'cart',
        ip,
        labels: { app: 'cart' },
      });
    }
    await cluster.pod({ name: 'legacy', serviceAccount: 'default', ip: LEGACY_IP, meshed: false });
    await cluster.service('cart', {
      selector: { app: 'cart' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('cart', [
      { pod: 'cart-1', ip: CART_IPS[0]! },
      { pod: 'cart-2', ip: CART_IPS[1]! },
    ]);
    await cluster.service('legacy', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    await cluster.slice('legacy', [{ pod: 'legacy', ip: LEGACY_IP }]);

    const authority = ca.ca.authority();
    const serving = await issueServingCertificate(
      authority,
      {
        trustDomain: 'cluster.local',
        namespace: 'weft-system',
        dnsNames: ['localhost'],
        ips: ['127.0.0.1'],
      },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    registry = createRegistry('discovery');
    // As its own ServiceAccount: the same kubeconfig the CA runs with.
    const config = parseConfig(DiscoveryConfigSchema, {
      listen: '127.0.0.1:0',
      kubeconfig: ca.kubeconfig,
      debounceMs: '50',
    });
    discovery = await startDiscovery(
      config,
      { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
      registry,
      createLogger({ component: 'discovery' }, 'info', (l) => logs.push(l)),
    );
    // As the Service would: no sidecar is sent to a replica before /readyz says so (a CRD's
    // storage may still be initializing, and discovery serves nothing until it has listed).
    await eventually('discovery to be ready', () =>
      Promise.resolve(discovery.ready() === undefined ? true : undefined),
    );
    web = await meshLeaf(authority, { uri: spiffe('web') });
  });

  after(async () => {
    for (const p of peers) p.close();
    await discovery?.stop();
    await ca?.ca.stop();
    await cp?.stop();
  });

  it('sends a snapshot with each ready endpoint and its identity, then deltas as the slices change', async () => {
    const peer = connect(web, WEB_IP);
    assert.equal(await peer.status(), 200);
    const first = await peer.until('cart endpoints', (c) => endpointsOf(c, 'cart'));
    assert.equal(peer.messages[0]!.type, 'snapshot');
    assert.deepEqual(first.map((e) => [e.address, e.identity, e.workload, e.mtls]).sort(), [
      [CART_IPS[0], spiffe('cart'), 'cart-1', true],
      [CART_IPS[1], spiffe('cart'), 'cart-2', true],
    ]);
    // Istio's metric labels come from the pods' labels: the callee's on its endpoints,
    // this sidecar's own on its inbound resource.
    assert.deepEqual(first[0]!.labels, {
      app: 'cart',
      canonicalService: 'cart',
      canonicalRevision: 'latest',
    });
    assert.deepEqual(peer.config!.self, {
      workload: 'web-1',
      labels: { app: 'web', canonicalService: 'web', canonicalRevision: 'latest' },
    });
    // A pod without a sidecar is reached in plaintext.
    const legacy = await peer.until('legacy endpoints', (c) => endpointsOf(c, 'legacy'));
    assert.deepEqual(
      legacy.map((e) => e.mtls),
      [false],
    );
    assert.equal(peer.config!.services.find((s) => s.name === 'cart')!.ports[0]!.targetPort, 8080);

    // Scale up, flip readiness: each is one delta carrying only the endpoints.
    const snapshotBytes = JSON.stringify(peer.messages[0]).length;
    const before = peer.messages.length;
    await cluster.slice('cart', [
      { pod: 'cart-1', ip: CART_IPS[0]! },
      { pod: 'cart-2', ip: CART_IPS[1]!, ready: false, serving: false },
      { pod: 'cart-3', ip: CART_IPS[2]! },
    ]);
    await peer.until('readiness and scale to apply', (c) =>
      addresses(endpointsOf(c, 'cart')).join() === [CART_IPS[0], CART_IPS[2]].join()
        ? true
        : undefined,
    );
    const deltas = peer.messages.slice(before);
    assert.ok(deltas.every((m) => m.type === 'delta'));
    const names = new Set(
      deltas.flatMap((m) => m.resources.map((r) => (r as { name: string }).name)),
    );
    assert.deepEqual([...names], [`endpoints/${ns}/cart`]);
    const deltaBytes = JSON.stringify(deltas.at(-1)).length;
    assert.ok(deltaBytes < snapshotBytes, `${deltaBytes} < ${snapshotBytes}`);

    // A pod deleted: the endpoint it backed goes with it (the slice still names it).
    await cluster.deletePod('cart-3');
    await peer.until('the deleted pod to lose its identity', (c) =>
      endpointsOf(c, 'cart')!.find((e) => e.address === CART_IPS[2])?.mtls === false
        ? true
        : undefined,
    );
    assert.ok((await metric(registry, 'weft_discovery_acks_total')) >= 3);
  });

  it("gives a sidecar presenting another pod's identity nothing", async () => {
    const cart = await meshLeaf(ca.ca.authority(), { uri: spiffe('cart') });
    const impostor = connect(cart, WEB_IP); // cart's identity from web's address
    assert.equal(await impostor.status(), 403);
    const nobody = connect(web, '127.0.10.99'); // web's identity from an address no pod has
    assert.equal(await nobody.status(), 403);
    const unlisted = connect(await meshLeaf(ca.ca.authority(), {}), WEB_IP); // no SPIFFE ID
    assert.equal(await unlisted.status(), 403);
    await new Promise((r) => setTimeout(r, 300));
    for (const p of [impostor, nobody, unlisted]) assert.deepEqual(p.messages, []);
    assert.equal(
      await metric(registry, 'weft_discovery_streams_refused_total', 'reason="identity_mismatch"'),
      1,
    );
    assert.equal(
      await metric(registry, 'weft_discovery_streams_refused_total', 'reason="no_pod"'),
      1,
    );
    assert.equal(
      await metric(registry, 'weft_discovery_streams_refused_total', 'reason="no_spiffe_id"'),
      1,
    );
    assert.ok(
      logs.some(
        (l) =>
          l.includes('discovery stream refused') && l.includes('is not the identity of the pod'),
      ),
    );
  });

  it('records a NACK, keeps the last good view, and keeps the refused resource out while other changes flow', async () => {
    await fresh();
    const peer = connect(web, WEB_IP);
    await peer.until('a first view', (c) => endpointsOf(c, 'cart'));
    const nacksBefore = await metric(registry, 'weft_discovery_nacks_total');
    // Kubernetes takes 20 external IPs; a sidecar's view takes at most 16 addresses.
    const externalIPs = Array.from({ length: 20 }, (_, i) => `198.18.0.${i + 1}`);
    await cluster.service('wide', { externalIPs, ports: [{ name: 'http', port: 80 }] });
    await peer.until('the NACK', () => (peer.nacks.length ? true : undefined));
    assert.match(peer.nacks[0]!, new RegExp(`service/${ns}/wide: service\\.addresses`));
    assert.equal((await metric(registry, 'weft_discovery_nacks_total')) - nacksBefore, 1);
    assert.equal(
      peer.config!.services.some((s) => s.name === 'wide'),
      false,
    );
    // The rest still flows, without the refused resource.
    await cluster.slice('cart', [{ pod: 'cart-1', ip: CART_IPS[0]! }]);
    await peer.until('the next change', (c) =>
      addresses(endpointsOf(c, 'cart')).length === 1 ? true : undefined,
    );
    assert.equal(peer.nacks.length, 1, peer.nacks.join('\n'));
    assert.equal(logs.filter((l) => l.includes('sidecar refused its view')).length, 1);
    await cluster.deleteService('wide');
  });

  it('follows PeerAuthentication at mesh, namespace, workload and port level', async () => {
    await fresh();
    const peer = connect(web, WEB_IP);
    const inbound = (c: MeshConfig): string =>
      [
        c.inbound.mode,
        ...c.inbound.ports.filter((p) => p.mode).map((p) => `${p.port}:${p.mode}`),
      ].join(' ');
    await peer.until('default PERMISSIVE', (c) => (inbound(c) === 'PERMISSIVE' ? true : undefined));
    await cluster.peerAuthentication('weft-system', 'default', { mtls: { mode: 'STRICT' } });
    await peer.until('mesh-wide STRICT', (c) => (inbound(c) === 'STRICT' ? true : undefined));
    await cluster.peerAuthentication(ns, 'default', { mtls: { mode: 'PERMISSIVE' } });
    await peer.until('namespace PERMISSIVE', (c) =>
      inbound(c) === 'PERMISSIVE' ? true : undefined,
    );
    await cluster.peerAuthentication(ns, 'web', {
      selector: { matchLabels: { app: 'web' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '8080': { mode: 'DISABLE' } },
    });
    await peer.until('workload STRICT, port 8080 DISABLE', (c) =>
      inbound(c) === 'STRICT 8080:DISABLE' ? true : undefined,
    );
    // The outbound side: callers send plaintext to a workload whose mode is DISABLE.
    await cluster.peerAuthentication(ns, 'cart', {
      selector: { matchLabels: { app: 'cart' } },
      mtls: { mode: 'DISABLE' },
    });
    await peer.until('cart endpoints in plaintext', (c) =>
      endpointsOf(c, 'cart')!.every((e) => !e.mtls) ? true : undefined,
    );
    for (const [n, name] of [
      [ns, 'cart'],
      [ns, 'web'],
      [ns, 'default'],
      ['weft-system', 'default'],
    ] as const) {
      await cluster.deletePeerAuthentication(n, name);
    }
    await peer.until('back to the default', (c) =>
      inbound(c) === 'PERMISSIVE' && endpointsOf(c, 'cart')!.every((e) => e.mtls)
        ? true
        : undefined,
    );
  });

  it('resumes a reconnecting sidecar from the versions it holds', async () => {
    await fresh();
    const first = connect(web, WEB_IP);
    await first.until('a first view', (c) => endpointsOf(c, 'cart'));
    first.close();
    const again = connect(web, WEB_IP, { known: first.view });
    await again.until('the snapshot', () => (again.messages.length ? true : undefined));
    assert.equal(again.messages[0]!.type, 'snapshot');
    assert.deepEqual(again.messages[0]!.resources, []);
    assert.deepEqual(again.messages[0]!.removed, []);
    assert.equal(discovery.connections().filter((c) => c.pod === `${ns}/web-1`).length >= 1, true);
  });

  it("is part of the control plane's /readyz: ready while serving, not once stopping", async () => {
    await fresh();
    assert.equal(discovery.ready(), undefined);
    // The CA serves /readyz for the whole control plane; weft control-plane wires it so.
    const cp2 = await startCa(
      caConfigFor(ca.kubeconfig),
      createRegistry('ca2'),
      createLogger({}, 'error'),
      {
        alsoReady: () => discovery.ready(),
      },
    );
    try {
      const readyz = (): Promise<{ status: number; body: string }> =>
        request(`https://127.0.0.1:${cp2.port}/readyz`, { ca: cp2.roots() });
      assert.equal((await readyz()).status, 200);
      await discovery.stop();
      const after = await readyz();
      assert.equal(after.status, 503);
      assert.match(after.body, /discovery stopping/);
    } finally {
      await cp2.stop();
    }
  });
});
