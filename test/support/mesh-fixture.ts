// A meshed test cluster: the real control plane and weft's CA (reachable from the
// pods at the bridge address), one network namespace per pod with weft-init's
// iptables rules, the test app, and `weft sidecar` running as UID 1337, exactly
// as the injected containers would run.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { SIDECAR_NODE_OPTIONS } from '../../src/sidecar-node-options.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from './cluster.js';
import { NODE_IP, meshNet } from './mesh-net.js';
import type { MeshNet, Pod } from './mesh-net.js';
import { installManifests, startTestCa } from './weft-ca.js';
import type { TestCa } from './weft-ca.js';
import { WEFT_BIN, watchProcess } from './weft-process.js';
import type { WeftProcess } from './weft-process.js';

export const APP = path.resolve(import.meta.dirname, 'mesh-app.js');
export const CLIENT = path.resolve(import.meta.dirname, 'mesh-client.js');
export const OUTSIDER = path.resolve(import.meta.dirname, 'mesh-outsider.js');
/** The app's probes as the injector would hand them to the sidecar (WEFT_APP_PROBERS). */
export const APP_PROBERS = {
  // HTTPS with a self-signed certificate, a header the app insists on.
  '/app-health/app/livez': {
    httpGet: {
      port: 8446,
      path: '/healthz',
      scheme: 'HTTPS',
      httpHeaders: [{ name: 'X-Probe', value: 'yes' }],
    },
  },
  // The loopback-only debug server: the kubelet (pod IP) could not reach it either.
  '/app-health/app/readyz': { httpGet: { port: 6060, path: '/debug' } },
};
export const ECHO_VIP = '203.0.113.10';
/**
 * Ports outside the capture in every pod: the app's direct listeners (8099 HTTP,
 * 9099 h2c) and the nginx/haproxy pairs' mTLS ports, so the benchmark can compare
 * paths in the same pods.
 */
export const BYPASS_PORTS = [8099, 9099, 8443, 8444];
export const IMPOSTOR_VIP = '203.0.113.20';

export interface MeshPod {
  readonly name: string;
  readonly pod: Pod;
  readonly serviceAccount: string;
  readonly app: WeftProcess;
  sidecar: WeftProcess;
  /** SIGTERM, then a new sidecar with the suite's flags plus `extraArgs`. */
  restartSidecar(extraArgs?: readonly string[]): Promise<void>;
}

export interface MeshFixture {
  readonly cp: ControlPlane;
  readonly ca: TestCa;
  readonly net: MeshNet;
  readonly namespace: string;
  readonly dir: string;
  readonly rootsFile: string;
  readonly meshConfigFile: string;
  readonly client: MeshPod;
  readonly servers: readonly MeshPod[];
  /** A pod with no sidecar and no capture: another workload with network reach. */
  readonly outsider: Pod;
  /** Runs test/support/mesh-outsider.ts in the outsider pod; its last JSON line. */
  outside<T>(...args: (string | number)[]): Promise<T>;
  /** Starts mesh-outsider.ts in the outsider pod and leaves it running. */
  spawnOutside(...args: (string | number)[]): WeftProcess;
  /**
   * Runs test/support/mesh-client.ts in the client pod and parses its JSON line.
   * Never synchronously: the CA runs in this process and must keep answering.
   */
  call<T>(...args: (string | number)[]): Promise<T>;
  spiffe(sa: string): string;
  /** Sum of a metric's samples on a pod's sidecar whose label text contains `match`. */
  metric(pod: MeshPod, name: string, match?: string): Promise<number>;
  /** Writes a new mesh config file (the sidecars poll it). */
  writeConfig(edit: (config: MeshConfigInput) => void): void;
  stop(): Promise<void>;
}

export type MeshConfigInput = ReturnType<typeof meshConfig>;

export interface MeshOptions {
  readonly servers?: number;
  readonly certTtlSeconds?: number;
  readonly inboundMode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE';
  readonly accessLog?: boolean;
}

function meshConfig(namespace: string, servers: readonly Pod[], o: MeshOptions) {
  const id = (sa: string): string => `spiffe://cluster.local/ns/${namespace}/sa/${sa}`;
  return {
    inbound: {
      mode: o.inboundMode ?? 'STRICT',
      ports: [
        { port: 8080, protocol: 'http' },
        { port: 9090, protocol: 'http2' },
        { port: 5432, protocol: 'tcp' },
      ],
    },
    services: [
      {
        name: 'echo',
        namespace,
        addresses: [ECHO_VIP],
        ports: [
          { port: 80, targetPort: 8080, name: 'http-web' },
          { port: 9090, name: 'grpc' },
          { port: 5432, name: 'tcp-db' },
        ],
        endpoints: servers.map((s) => ({ address: s.ip, identity: id('echo'), workload: 'echo' })),
      },
      {
        // Claims an identity its pod does not have: the client sidecar must refuse it.
        name: 'impostor',
        namespace,
        addresses: [IMPOSTOR_VIP],
        ports: [{ port: 80, targetPort: 8080, name: 'http' }],
        endpoints: [{ address: servers[0]!.ip, identity: id('other') }],
      },
    ],
  };
}

/** One GET on a fresh connection (a pooled one may have idled out while a call blocked). */
function scrape(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function waitReady(pod: Pod, sidecar: WeftProcess): Promise<void> {
  const ready = eventually(
    `sidecar in ${pod.ns} to be ready`,
    async () => {
      if (sidecar.child.exitCode !== null) throw new Error(sidecar.output.slice(-5).join('\n'));
      const res = await fetch(`http://${pod.ip}:15020/healthz/ready`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    30_000,
  );
  await ready.catch((err: Error) => {
    throw new Error(`${err.message}\n${sidecar.output.slice(-8).join('\n')}`);
  });
}

export async function startMesh(o: MeshOptions = {}): Promise<MeshFixture> {
  const cp = await startControlPlane();
  const net = meshNet();
  try {
    return await populate(cp, net, o);
  } catch (err) {
    net.remove();
    await cp.stop();
    throw err;
  }
}

async function populate(cp: ControlPlane, net: MeshNet, o: MeshOptions): Promise<MeshFixture> {
  await installManifests(cp);
  const ca = await startTestCa(cp, { listen: `${NODE_IP}:0`, servingIp: [NODE_IP] });
  const namespace = uniqueName('mesh');
  await createNamespace(cp.kubeConfig, namespace);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const sa of ['client', 'echo']) {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-mesh-'));
  chmodSync(dir, 0o755); // the sidecars run as UID 1337
  // Every pod process registers a kill-on-exit hook.
  process.setMaxListeners(64);
  const rootsFile = path.join(dir, 'roots.pem');
  writeFileSync(rootsFile, ca.ca.roots());
  const meshConfigFile = path.join(dir, 'mesh.json');

  const pods = ['client', ...Array.from({ length: o.servers ?? 3 }, (_, i) => `echo-${i + 1}`)];
  const netPods = pods.map((name) => net.addPod(name));
  const initialConfig = meshConfig(namespace, netPods.slice(1), o);
  writeFileSync(meshConfigFile, JSON.stringify(initialConfig));

  const meshPods: MeshPod[] = [];
  for (const [i, name] of pods.entries()) {
    const pod = netPods[i]!;
    const serviceAccount = i === 0 ? 'client' : 'echo';
    const tokenFile = path.join(dir, `${name}.token`);
    writeFileSync(tokenFile, await createToken(cp, namespace, serviceAccount), { mode: 0o644 });
    // As the injector writes it: the health port stays reachable for kubelet and Prometheus.
    pod.exec([
      'node',
      WEFT_BIN,
      'init-iptables',
      `--exclude-inbound-ports=${[15020, ...BYPASS_PORTS].join(',')}`,
      `--exclude-outbound-ports=${BYPASS_PORTS.join(',')}`,
    ]);
    const app = watchProcess(pod.spawn(['node', APP, name]));
    const startSidecar = (extraArgs: readonly string[] = []): WeftProcess =>
      watchProcess(
        pod.spawn(
          [
            'node',
            // For profiling: e.g. WEFT_SIDECAR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
            ...(process.env.WEFT_SIDECAR_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
            // For A/B benches (bench/sidecar-variants.ts): another build's weft.js.
            process.env.WEFT_SIDECAR_BIN ?? WEFT_BIN,
            'sidecar',
            ...['--mesh-config', meshConfigFile, '--ca-address', `${NODE_IP}:${ca.ca.port}`],
            ...['--token-file', tokenFile, '--trust-bundle-file', rootsFile],
            ...['--pod-name', name, '--pod-namespace', namespace, '--pod-ip', pod.ip],
            ...['--reload-seconds', '1', '--drain-seconds', '1'],
            ...(o.certTtlSeconds ? ['--cert-ttl-seconds', String(o.certTtlSeconds)] : []),
            ...(o.accessLog ? ['--access-log', 'true'] : []),
            ...extraArgs,
          ],
          // As the injector sets them on weft-proxy.
          {
            uid: 1337,
            env: {
              NODE_OPTIONS: process.env.WEFT_SIDECAR_NODE_OPTIONS ?? SIDECAR_NODE_OPTIONS,
              ...(i > 0 ? { WEFT_APP_PROBERS: JSON.stringify(APP_PROBERS) } : {}),
            },
          },
        ),
      );
    const mp: MeshPod = {
      name,
      pod,
      serviceAccount,
      app,
      sidecar: startSidecar(),
      async restartSidecar(extraArgs = []) {
        await mp.sidecar.signal('SIGTERM');
        mp.sidecar = startSidecar(extraArgs);
        await waitReady(pod, mp.sidecar);
      },
    };
    meshPods.push(mp);
  }
  await Promise.all(meshPods.map((p) => waitReady(p.pod, p.sidecar)));
  const client = meshPods[0]!;
  const hosts = {
    echo: ECHO_VIP,
    [`echo.${namespace}`]: ECHO_VIP,
    [`echo.${namespace}.svc.cluster.local`]: ECHO_VIP,
    impostor: IMPOSTOR_VIP,
  };
  client.pod.setHosts(hosts);
  const outsider = net.addPod('outsider');
  const inOutsider = (args: (string | number)[]): string[] => [
    'netns',
    'exec',
    outsider.ns,
    'node',
    OUTSIDER,
    ...args.map(String),
  ];
  return {
    cp,
    ca,
    net,
    namespace,
    dir,
    rootsFile,
    meshConfigFile,
    client,
    servers: meshPods.slice(1),
    async call<T>(...args: (string | number)[]): Promise<T> {
      const cmd = ['netns', 'exec', client.pod.ns, 'node', CLIENT, ...args.map(String)];
      const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 60_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as T;
    },
    outsider,
    async outside<T>(...args: (string | number)[]): Promise<T> {
      const { stdout } = await promisify(execFile)('ip', inOutsider(args), { timeout: 60_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as T;
    },
    spawnOutside: (...args) =>
      watchProcess(outsider.spawn(['node', OUTSIDER, ...args.map(String)])),
    spiffe: (sa) => `spiffe://cluster.local/ns/${namespace}/sa/${sa}`,
    async metric(pod, name, match = '') {
      const text = await scrape(`http://${pod.pod.ip}:15020/stats/prometheus`);
      return text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .filter((l) => l.includes(match))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    },
    writeConfig(edit) {
      const next = structuredClone(initialConfig);
      edit(next);
      writeFileSync(meshConfigFile, JSON.stringify(next));
    },
    async stop() {
      await Promise.all(meshPods.map((p) => p.sidecar.signal('SIGTERM')));
      for (const p of meshPods) p.app.child.kill('SIGKILL');
      await ca.ca.stop();
      net.remove();
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
