// `kubectl weft proxy-status` and `kubectl weft config`, run through the real kubectl
// against the real API server: two discovery replicas (each with its own streams, as
// in a cluster), sidecars speaking the real protocol from the pods' addresses (one
// ACKs, one NACKs everything), a real `weft sidecar` process, and meshed pods with no
// stream. The replicas and the sidecar run outside a cluster, so the plugin is pointed
// at their loopback debug ports (--control-plane, --admin-address); the port-forward
// path that a cluster uses is exercised here only up to the API server's refusal.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { SidecarView } from '../../src/debug/sidecar-view.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { discoveryPeer } from '../support/discovery-peer.js';
import type { DiscoveryPeer } from '../support/discovery-peer.js';
import { kubectl } from '../support/kubectl.js';
import { meshLeaf } from '../support/mtls-attempt.js';
import { pluginEnv } from '../support/plugin.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { startWeft } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';

const WEB_IP = '127.0.10.1';
const CART_IP = '127.0.10.2';
// The real sidecar dials discovery on 127.0.0.1 from the host, so that is its pod's IP.
const SIDE_IP = '127.0.0.1';
const REFUSAL = 'test: this sidecar refuses every view';

/** Table rows by their first cell, cells split on the table's 3-space gutters. */
function rowsOf(text: string): Map<string, string[]> {
  const lines = text.trimEnd().split('\n');
  return new Map(
    lines
      .slice(1)
      .map((l) => l.split(/ {3,}/))
      .map((c) => [c[0]!, c]),
  );
}

describe('kubectl weft proxy-status and config', { timeout: 240_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let cluster: TestCluster;
  const replicas: RunningDiscovery[] = [];
  const peers: DiscoveryPeer[] = [];
  let sidecar: WeftProcess | undefined;
  let adminPort = 0;
  const ns = uniqueName('pstat');
  const env = pluginEnv();
  const plugin = (args: string[]): ReturnType<typeof kubectl> =>
    kubectl(cp.kubeconfigPath, ['weft', ...args], env);
  const debugAddresses = (): string => replicas.map((r) => `127.0.0.1:${r.debugPort}`).join(',');
  const spiffe = (sa: string): string => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    ca = await startTestCa(cp);
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    for (const sa of ['web', 'cart', 'side', 'db']) await cluster.serviceAccount(sa);
    await cluster.pod({ name: 'web-1', serviceAccount: 'web', ip: WEB_IP, labels: { app: 'web' } });
    await cluster.pod({
      name: 'cart-1',
      serviceAccount: 'cart',
      ip: CART_IP,
      labels: { app: 'cart' },
    });
    await cluster.pod({ name: 'side-1', serviceAccount: 'side', ip: SIDE_IP });
    await cluster.pod({ name: 'db-0', serviceAccount: 'db', ip: '203.0.113.130' });
    await cluster.pod({
      name: 'legacy',
      serviceAccount: 'default',
      ip: '203.0.113.131',
      meshed: false,
    });
    await cluster.service('cart', {
      selector: { app: 'cart' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('cart', [{ pod: 'cart-1', ip: '203.0.113.132' }]);

    const serving = await issueServingCertificate(
      ca.ca.authority(),
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: ['127.0.0.1'] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    for (const name of ['replica-a', 'replica-b']) {
      process.env.POD_NAME = name; // what the downward API gives each replica
      const config = parseConfig(DiscoveryConfigSchema, {
        listen: '127.0.0.1:0',
        debugListen: '127.0.0.1:0',
        kubeconfig: ca.kubeconfig,
        debounceMs: '50',
      });
      replicas.push(
        await startDiscovery(
          config,
          { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
          createRegistry('discovery'),
          createLogger({ component: 'discovery' }, 'warn'),
        ),
      );
    }
    delete process.env.POD_NAME;
    for (const r of replicas) {
      await eventually('discovery to be ready', () =>
        Promise.resolve(r.ready() === undefined ? true : undefined),
      );
    }
    const roots = ca.ca.roots();
    const authority = ca.ca.authority();
    peers.push(
      discoveryPeer({
        port: replicas[0]!.port,
        credential: await meshLeaf(authority, { uri: spiffe('web') }),
        roots,
        localAddress: WEB_IP,
      }),
      discoveryPeer({
        port: replicas[1]!.port,
        credential: await meshLeaf(authority, { uri: spiffe('cart') }),
        roots,
        localAddress: CART_IP,
        refuse: () => REFUSAL,
      }),
    );
    await peers[0]!.until('web to apply its view', () => true);
    await eventually('cart to refuse its view', () =>
      Promise.resolve(peers[1]!.nacks.length ? true : undefined),
    );

    // A real sidecar, streaming from replica A, its admin on a loopback port of its own.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-pstat-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, await createToken(cp, ns, 'side'));
    const rootsFile = path.join(dir, 'roots.pem');
    writeFileSync(rootsFile, roots);
    sidecar = startWeft([
      'sidecar',
      ...['--discovery-address', `127.0.0.1:${replicas[0]!.port}`],
      ...['--ca-address', `127.0.0.1:${ca.ca.port}`],
      ...['--token-file', tokenFile, '--trust-bundle-file', rootsFile],
      ...['--pod-name', 'side-1', '--pod-namespace', ns, '--pod-ip', SIDE_IP],
      ...['--admin-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0'],
      ...['--outbound-listen', '127.0.0.1:0', '--inbound-listen', '127.0.0.1:0'],
    ]);
    const listening = await sidecar.waitFor(/sidecar listening/, 90_000);
    adminPort = (JSON.parse(listening) as { admin: number }).admin;
    await eventually(
      'the sidecar to apply its first view',
      async () => {
        const res = await fetch(`http://127.0.0.1:${adminPort}/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      90_000,
    );
  });

  after(async () => {
    await sidecar?.signal('SIGKILL');
    for (const p of peers) p.close();
    for (const r of replicas) await r.stop();
    await ca?.ca.stop();
    await cp?.stop();
  });

  it('shows every sidecar of every replica, its state, version, ACK, NACK and age', async () => {
    const r = await plugin(['proxy-status', '-n', ns, '--control-plane', debugAddresses()]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(r.stdout);
    assert.deepEqual(r.stdout.split('\n')[0]!.split(/ {3,}/), [
      'NAME',
      'CONTROL PLANE',
      'STATUS',
      'VERSION',
      'LAST ACK',
      'LAST NACK',
      'AGE',
    ]);
    const webVersion = peers[0]!.messages.at(-1)!.version;
    const web = rows.get(`web-1.${ns}`)!;
    assert.deepEqual(web.slice(0, 4), [
      `web-1.${ns}`,
      'replica-a',
      'SYNCED',
      webVersion.slice(0, 12),
    ]);
    assert.match(web[4]!, /^\d+s ago$/);
    assert.equal(web[5], '-');
    assert.match(web[6]!, /^\d+s$/);
    const cart = rows.get(`cart-1.${ns}`)!;
    assert.deepEqual(cart.slice(0, 5), [`cart-1.${ns}`, 'replica-b', 'NACKED', '-', 'never']);
    assert.match(cart[5]!, new RegExp(`^\\d+s ago: ${REFUSAL}$`));
    assert.deepEqual(rows.get(`side-1.${ns}`)!.slice(1, 3), ['replica-a', 'SYNCED']);
    assert.deepEqual(rows.get(`db-0.${ns}`), [
      `db-0.${ns}`,
      '-',
      'NOT CONNECTED',
      '-',
      '-',
      '-',
      '-',
    ]);
    assert.equal(rows.has(`legacy.${ns}`), false, 'a pod without a sidecar is not a proxy');
    assert.equal(rows.size, 4);
  });

  it('-o json carries every field of each stream', async () => {
    const r = await plugin([
      'proxy-status',
      '-n',
      ns,
      '--control-plane',
      debugAddresses(),
      '-o',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      items: {
        pod: string;
        state: string;
        controlPlane?: string;
        stream?: Record<string, unknown>;
      }[];
    };
    assert.equal(doc.kind, 'ProxyStatus');
    const cart = doc.items.find((i) => i.pod === `${ns}/cart-1`)!;
    assert.equal(cart.controlPlane, 'replica-b');
    assert.equal(cart.stream?.address, CART_IP);
    assert.equal(cart.stream?.identity, spiffe('cart'));
    assert.match(String(cart.stream?.uid), /^[0-9a-f-]{36}$/);
    assert.equal((cart.stream?.nacked as { error: string }).error, REFUSAL);
    assert.equal(doc.items.find((i) => i.pod === `${ns}/db-0`)?.state, 'NOT CONNECTED');
  });

  it('fails with one line and exit 3 when a replica cannot be read', async () => {
    const one = `127.0.0.1:${replicas[0]!.debugPort}`;
    const r = await plugin(['proxy-status', '--control-plane', `${one},127.0.0.1:1`]);
    assert.equal(r.code, 3, r.stdout);
    assert.match(
      r.stderr,
      /^kubectl weft: cannot reach 127\.0\.0\.1:1: connect ECONNREFUSED[^\n]*\n$/,
    );
    // In a cluster, the replicas are the control-plane pods; here there are none.
    const none = await plugin(['proxy-status']);
    assert.equal(none.code, 3);
    assert.match(
      none.stderr,
      /^kubectl weft: control plane unreachable: no running pod in weft-system[^\n]*\n$/,
    );
  });

  it('config shows the view a real sidecar holds, summarised and whole', async () => {
    const admin = ['--admin-address', `127.0.0.1:${adminPort}`];
    const r = await plugin(['config', 'side-1', '-n', ns, ...admin]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^Identity: +${spiffe('side')} \\(serial [0-9a-f]+, expires `, 'm'),
    );
    assert.match(
      r.stdout,
      new RegExp(
        `^Source: +discovery, connected to 127\\.0\\.0\\.1:${replicas[0]!.port}, synced$`,
        'm',
      ),
    );
    assert.match(r.stdout, /^Inbound: +PERMISSIVE$/m);
    // A scoped sidecar (docs/discovery.md, "Scoping") holds the catalog, and endpoints
    // only for the Services it has called: this one has called none. The endpoint rows
    // of a subscribed Service are config-render.test.ts's and the journey's step 6.
    assert.match(r.stdout, /^Scoped: +endpoints of 0 services held$/m);
    assert.match(r.stdout, new RegExp(`^cart\\.${ns} +\\S+ +80→8080/http +not subscribed$`, 'm'));
    const json = await plugin(['config', 'side-1', '-n', ns, ...admin, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const view = SidecarView.parse(JSON.parse(json.stdout));
    assert.equal(view.discovery?.synced, true);
    assert.equal(view.identity?.spiffeId, spiffe('side'));
    assert.ok(!json.stdout.includes('PRIVATE KEY') && !json.stdout.includes('BEGIN CERTIFICATE'));
    assert.equal(view.discovery?.scoped, true);
    assert.deepEqual(view.discovery?.subscribed, []);
    const cart = view.config.services.find((s) => s.name === 'cart');
    assert.deepEqual(
      cart?.ports.map((p) => p.port),
      [80],
    );
    assert.deepEqual(cart?.endpoints, []);
  });

  it('config refuses a pod without a sidecar, and says why it cannot reach one', async () => {
    const legacy = await plugin(['config', 'legacy', '-n', ns]);
    assert.equal(legacy.code, 6);
    assert.match(legacy.stderr, /^kubectl weft: pod \S+\/legacy has no weft sidecar[^\n]*\n$/);
    // Without --admin-address: the API server's port-forward, which this control plane
    // (no kubelet, no node) cannot complete: one line, exit 3, never a stack trace.
    const db = await plugin(['config', 'db-0', '-n', ns]);
    assert.equal(db.code, 3, db.stdout);
    assert.match(
      db.stderr,
      new RegExp(`^kubectl weft: cannot reach the sidecar of ${ns}/db-0: [^\\n]+\\n$`),
    );
  });
});
