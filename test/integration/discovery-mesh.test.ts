// End to end with discovery instead of a mesh file: pods as network namespaces
// (weft-init's iptables, the test app, `weft sidecar` as UID 1337) that learn
// the mesh only from discovery running against the real API server, where the
// same pods, a Service and its EndpointSlice exist. Real mTLS traffic follows.
// The sidecars are scoped: they get the catalog, and a service's endpoints only
// once they call it (docs/discovery.md, "Scoping").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { SIDECAR_NODE_OPTIONS } from '../../src/names.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { APP, CLIENT, ECHO_VIP } from '../support/mesh-fixture.js';
import { NODE_IP, meshNet } from '../support/mesh-net.js';
import type { MeshNet, Pod } from '../support/mesh-net.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { WEFT_BIN, watchProcess } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';

interface Many {
  results: { status: number; pod?: string; xfcc?: string; error?: string }[];
}

interface First {
  results: { url: string; status: number[]; firstMs: number; warmMs: number }[];
}

/** Services that only the first-request measurement calls, each with its own VIP. */
const FIRST = 50;
const firstVip = (i: number): string => `203.0.113.${100 + i}`;
const OTHER_VIP = '203.0.113.11';
const WAIT_MS = 2000;
const IDLE_SECONDS = 15;

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};

describe('mesh from discovery', { timeout: 420_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let net: MeshNet;
  let discovery: RunningDiscovery | undefined;
  let cluster: TestCluster;
  let dir: string;
  const ns = uniqueName('dmesh');
  const procs: WeftProcess[] = [];
  const pods: Record<string, Pod> = {};
  const sidecars: Record<string, WeftProcess> = {};
  const spiffe = (sa: string): string => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  const call = async (...args: (string | number)[]): Promise<Many> => {
    const cmd = ['netns', 'exec', pods.client!.ns, 'node', CLIENT, ...args.map(String)];
    const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as Many;
  };
  const firstCalls = async (urls: string[]): Promise<First> => {
    const cmd = ['netns', 'exec', pods.client!.ns, 'node', CLIENT, 'first', ...urls];
    const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 120_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as First;
  };
  /** A metric of the client's sidecar (its :15020), summed over the series matching `labels`. */
  const clientMetric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`http://${pods.client!.ip}:15020/stats/prometheus`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && l.includes(labels))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };
  /** The view the client's sidecar holds (its admin endpoint, loopback in its pod). */
  const clientView = (): { services: { name: string; endpoints: { address: string }[] }[] } => {
    const js =
      "fetch('http://127.0.0.1:15000/config_dump').then(r=>r.text()).then(t=>process.stdout.write(t))";
    return JSON.parse(pods.client!.exec(['node', '-e', js])) as ReturnType<typeof clientView>;
  };
  const endpointsHeld = (service: string): string[] | undefined =>
    clientView()
      .services.find((x) => x.name === service)
      ?.endpoints.map((e) => e.address)
      .sort();

  before(async () => {
    cp = await startControlPlane();
    net = meshNet();
    await installManifests(cp);
    ca = await startTestCa(cp, { listen: `${NODE_IP}:0`, servingIp: [NODE_IP] });
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    for (const sa of ['client', 'echo']) await cluster.serviceAccount(sa);
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-dmesh-'));
    chmodSync(dir, 0o755);
    process.setMaxListeners(64);
    const rootsFile = path.join(dir, 'roots.pem');
    writeFileSync(rootsFile, ca.ca.roots());

    const names = ['client', 'echo-1', 'echo-2'];
    for (const name of names) {
      pods[name] = net.addPod(name);
      const sa = name === 'client' ? 'client' : 'echo';
      await cluster.pod({ name, serviceAccount: sa, ip: pods[name].ip, labels: { app: sa } });
    }
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('echo', [
      { pod: 'echo-1', ip: pods['echo-1']!.ip },
      { pod: 'echo-2', ip: pods['echo-2']!.ip },
    ]);
    const echoes = [
      { pod: 'echo-1', ip: pods['echo-1']!.ip },
      { pod: 'echo-2', ip: pods['echo-2']!.ip },
    ];
    const extra = [
      ['other', OTHER_VIP],
      ...Array.from({ length: FIRST }, (_, i) => [`first-${i}`, firstVip(i)]),
    ] as const;
    for (let i = 0; i < extra.length; i += 10) {
      await Promise.all(
        extra.slice(i, i + 10).map(async ([name, vip]) => {
          await cluster.service(name, {
            selector: { app: 'echo' },
            externalIPs: [vip],
            ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
          });
          await cluster.slice(name, echoes);
        }),
      );
    }

    const serving = await issueServingCertificate(
      ca.ca.authority(),
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: [NODE_IP] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    const config = parseConfig(DiscoveryConfigSchema, {
      listen: `${NODE_IP}:0`,
      kubeconfig: ca.kubeconfig,
    });
    discovery = await startDiscovery(
      config,
      { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
      createRegistry('discovery'),
      createLogger({ component: 'discovery' }, 'warn'),
    );
    // As the Service would: no sidecar is sent to a replica before /readyz says so (a CRD's
    // storage may still be initializing, and discovery serves nothing until it has listed).
    await eventually('discovery to be ready', () =>
      Promise.resolve(discovery!.ready() === undefined ? true : undefined),
    );

    for (const name of names) {
      const pod = pods[name]!;
      const sa = name === 'client' ? 'client' : 'echo';
      const tokenFile = path.join(dir, `${name}.token`);
      writeFileSync(tokenFile, await createToken(cp, ns, sa), { mode: 0o644 });
      pod.exec(['node', WEFT_BIN, 'init-iptables', '--exclude-inbound-ports=15020']);
      procs.push(watchProcess(pod.spawn(['node', APP, name])));
      const sidecar = watchProcess(
        pod.spawn(
          [
            'node',
            WEFT_BIN,
            'sidecar',
            ...['--discovery-address', `${NODE_IP}:${discovery.port}`],
            ...['--ca-address', `${NODE_IP}:${ca.ca.port}`],
            ...['--token-file', tokenFile, '--trust-bundle-file', rootsFile],
            ...['--pod-name', name, '--pod-namespace', ns, '--pod-ip', pod.ip],
            ...['--drain-seconds', '1'],
            ...['--discovery-wait-ms', String(WAIT_MS)],
            ...['--discovery-idle-seconds', String(IDLE_SECONDS)],
          ],
          { uid: 1337, env: { NODE_OPTIONS: SIDECAR_NODE_OPTIONS } },
        ),
      );
      procs.push(sidecar);
      sidecars[name] = sidecar;
    }
    for (const name of names) {
      const pod = pods[name]!;
      await eventually(
        `${name}'s sidecar to be ready (its first view applied)`,
        async () => {
          if (sidecars[name]!.child.exitCode !== null)
            throw new Error(sidecars[name]!.output.join('\n'));
          const res = await fetch(`http://${pod.ip}:15020/healthz/ready`).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${sidecars[name]!.output.slice(-8).join('\n')}`);
      });
    }
    pods.client!.setHosts({ echo: ECHO_VIP, [`echo.${ns}.svc.cluster.local`]: ECHO_VIP });
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.signal('SIGKILL')));
    await discovery?.stop();
    await ca?.ca.stop();
    net?.remove();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives a sidecar the catalog but no endpoints of a service it never called', async () => {
    assert.equal(await clientMetric('weft_sidecar_discovery_endpoints'), 0);
    assert.equal(await clientMetric('weft_sidecar_discovery_subscriptions'), 0);
    assert.deepEqual(endpointsHeld('echo'), [], 'echo is in the catalog, without endpoints');
    assert.deepEqual(endpointsHeld('first-0'), []);
  });

  it('carries mTLS with both identities between pods, to the endpoints discovery streamed', async () => {
    const r = await call('http', 'http://echo/hello', 10);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      assert.match(x.xfcc!, new RegExp(`^By=${spiffe('echo')};.*URI=${spiffe('client')}$`));
    }
    assert.deepEqual([...new Set(r.results.map((x) => x.pod))].sort(), ['echo-1', 'echo-2']);
    // Subscribed on that first call: exactly echo's ready endpoints, nothing else.
    assert.deepEqual(endpointsHeld('echo'), [pods['echo-1']!.ip, pods['echo-2']!.ip].sort());
    assert.equal(await clientMetric('weft_sidecar_discovery_endpoints'), 2);
    assert.deepEqual(endpointsHeld('first-0'), []);
  });

  it('follows an EndpointSlice change', async () => {
    const started = Date.now();
    await cluster.slice('echo', [{ pod: 'echo-2', ip: pods['echo-2']!.ip }]);
    await eventually('traffic to follow the slice', async () => {
      const r = await call('http', 'http://echo/follow', 4);
      return r.results.every((x) => x.status === 200 && x.pod === 'echo-2') ? true : undefined;
    });
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual(endpointsHeld('echo'), [pods['echo-2']!.ip]);
  });

  it(`measures the first request to ${FIRST} services not yet subscribed`, async () => {
    const r = await firstCalls(Array.from({ length: FIRST }, (_, i) => `http://${firstVip(i)}/`));
    for (const x of r.results) assert.deepEqual(x.status, [200, 200], JSON.stringify(x));
    const firstMs = r.results.map((x) => x.firstMs);
    const warmMs = r.results.map((x) => x.warmMs);
    const waits = await clientMetric(
      'weft_sidecar_discovery_wait_seconds_count',
      'kind="endpoints",outcome="ready"',
    );
    const waited = await clientMetric(
      'weft_sidecar_discovery_wait_seconds_sum',
      'kind="endpoints",outcome="ready"',
    );
    const fmt = (xs: number[]): string =>
      `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms`;
    console.log(
      `first request (subscribe, wait, connect): ${fmt(firstMs)}; warm: ${fmt(warmMs)}; ` +
        `sidecar wait for endpoints: mean ${((waited / waits) * 1000).toFixed(1)} ms over ${waits}`,
    );
    assert.ok(waits >= FIRST, `${waits} waits recorded`);
    assert.ok(quantile(firstMs, 0.99) < WAIT_MS, 'no first request ran into the bound');
  });

  it('drops the endpoints of services unused for the idle time', async () => {
    // Each first-* was last used during the measurement above, within a few seconds.
    const held = (): string[] =>
      clientView()
        .services.filter((x) => x.name.startsWith('first-') && x.endpoints.length)
        .map((x) => x.name);
    await eventually(
      'every first-* service to be unsubscribed',
      () => Promise.resolve(held().length === 0 ? true : undefined),
      (IDLE_SECONDS + 30) * 1000,
    );
    assert.equal(clientView().services.filter((x) => x.name.startsWith('first-')).length, FIRST);
  });

  it('keeps serving on the last view while discovery is down; a new service fails closed', async () => {
    await call('http', 'http://echo/up', 1); // held (again, if it was idle)
    await discovery!.stop();
    discovery = undefined;
    const r = await call('http', 'http://echo/down', 4);
    assert.deepEqual(
      r.results.map((x) => [x.status, x.pod]),
      Array.from({ length: 4 }, () => [200, 'echo-2']),
    );
    // A service never called: its endpoints cannot arrive; the request waits out the bound
    // and gets a named 503, never a plaintext or unchecked connection.
    const started = Date.now();
    const other = await call('http', `http://${OTHER_VIP}/never`, 1);
    assert.deepEqual(
      other.results.map((x) => [x.status, x.error]),
      [[503, 'endpoints_pending']],
    );
    assert.ok(Date.now() - started >= WAIT_MS);
    assert.equal(
      await clientMetric('weft_sidecar_discovery_wait_seconds_count', 'outcome="timeout"'),
      1,
    );
    assert.ok(
      sidecars.client!.output.some((l) => l.includes('did not answer a subscription in time')),
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
