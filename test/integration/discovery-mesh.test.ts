// End to end with discovery instead of a mesh file: pods as network namespaces
// (weft-init's iptables, the test app, `weft sidecar` as UID 1337) that learn
// the mesh only from discovery running against the real API server, where the
// same pods, a Service and its EndpointSlice exist. Real mTLS traffic follows.
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

describe('mesh from discovery', { timeout: 240_000 }, () => {
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
    await discovery!.stop();
    discovery = undefined;
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
