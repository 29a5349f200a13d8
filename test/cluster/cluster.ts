// A one-node Kubernetes cluster for weft's tests and demos: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy and
// CoreDNS as local processes around a bridge (shared/NODE.md has the facts this
// follows). startCluster() resolves once the node is Ready, the `default`
// ServiceAccount exists and DNS answers; stop() drains pods and runs teardown.sh,
// which a detached reaper also runs if this process dies first.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { writeControlPlaneCerts } from '../controlplane/certs.js';
import type { ControlPlaneCerts } from '../controlplane/certs.js';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import { freePort, isRunning, logTail, startChild, stopChild } from '../controlplane/processes.js';
import type { Child } from '../controlplane/processes.js';
import { waitForHealthy } from '../controlplane/readiness.js';
import { findNodeBinaries } from './binaries.js';
import type { NodeBinaries } from './binaries.js';
import { createBridge, preflight, recordHostState, startClusterReaper, teardown } from './host.js';
import { buildImages, importImages } from './images.js';
import { clusterNetwork } from './network.js';
import type { ClusterNetwork, ClusterNetworkOptions } from './network.js';
import * as conf from './node-config.js';
import type { RunPaths } from './node-config.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);

export interface Cluster {
  /** https://<node IP>:6443 */
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly caCert: string;
  readonly network: ClusterNetwork;
  readonly nodeName: string;
  /** Image tags present in the node's containerd. */
  readonly images: readonly string[];
  /** Milliseconds from the call until the node was Ready with DNS answering. */
  readonly startupMs: number;
  readonly dir: string;
  /** PIDs of the node's processes, by name (for memory measurements). */
  readonly pids: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export interface ClusterOptions extends ClusterNetworkOptions {
  readonly readyTimeoutMs?: number;
  readonly onProgress?: (line: string) => void;
}

export const cacheRoot = (): string =>
  process.env.WEFT_TESTENV_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'weft-testenv');

interface Run {
  readonly dir: string;
  readonly net: ClusterNetwork;
  readonly bins: NodeBinaries;
  readonly paths: RunPaths;
  readonly children: Map<string, Child>;
  readonly progress: (line: string) => void;
}

function start(r: Run, name: string, command: string, args: string[]): Child {
  const child = startChild(name, command, args, path.join(r.dir, 'logs', `${name}.log`));
  r.children.set(name, child);
  if (child.process.pid) appendFileSync(path.join(r.dir, 'pids'), `${name} ${child.process.pid}\n`);
  return child;
}

/** "<name> exited: <log tail>" for the first of `names` that is no longer running. */
function deadProcess(r: Run, names: readonly string[]): string | undefined {
  for (const name of names) {
    const child = r.children.get(name);
    if (child && !isRunning(child)) return `${name} exited:\n${logTail(child)}`;
  }
  return undefined;
}

async function writeFiles(r: Run, certs: ControlPlaneCerts): Promise<void> {
  const p = r.paths;
  mkdirSync(path.join(r.dir, 'logs'));
  mkdirSync(path.join(r.dir, 'cni'));
  writeFileSync(p.adminCertFile, certs.adminCert);
  writeFileSync(p.adminKeyFile, certs.adminKey, { mode: 0o600 });
  writeFileSync(path.join(r.dir, 'containerd.toml'), conf.containerdConfig(p));
  writeFileSync(path.join(r.dir, 'cni', '10-weft.conflist'), conf.cniConfig(r.net, r.dir));
  writeFileSync(path.join(r.dir, 'kubelet.yaml'), conf.kubeletConfig(r.net, p));
  writeFileSync(path.join(r.dir, 'resolv.conf'), `nameserver ${r.net.dnsIp}\n`);
  await Promise.resolve();
}

async function startApiServer(r: Run, certs: ControlPlaneCerts): Promise<void> {
  const [etcdPort, peerPort] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${etcdPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  start(r, 'etcd', r.bins.etcd, [
    '--name=weft-cluster',
    `--data-dir=${path.join(r.dir, 'etcd-data')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=weft-cluster=${peer}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  await waitForHealthy(`${client}/health`, {
    timeoutMs: 30_000,
    alive: () => !deadProcess(r, ['etcd']),
  });
  start(r, 'kube-apiserver', r.bins.kubeApiserver, conf.apiserverArgs(r.net, r.paths, etcdPort));
  await waitForHealthy(`https://${r.net.nodeIp}:${conf.API_PORT}/readyz`, {
    timeoutMs: 60_000,
    alive: () => !deadProcess(r, ['kube-apiserver']),
    tls: { ca: certs.caCert, cert: certs.adminCert, key: certs.adminKey },
  }).catch((cause: unknown) => {
    throw new Error(`kube-apiserver did not become ready: ${String(cause)}`, { cause });
  });
  r.progress(`kube-apiserver ready on https://${r.net.nodeIp}:${conf.API_PORT}`);
}

async function startContainerd(r: Run, imagesDir: string): Promise<string[]> {
  const socket = conf.containerdSocket(r.dir);
  const built = buildImages(imagesDir);
  start(r, 'containerd', '/usr/bin/containerd', ['--config', path.join(r.dir, 'containerd.toml')]);
  await waitUntil(
    'containerd answering',
    async () => (await run('ctr', ['--address', socket, 'version'])).stdout.includes('Server'),
    { timeoutMs: 30_000, dead: () => deadProcess(r, ['containerd']) },
  );
  const images = await built;
  const imported = await importImages(socket, r.paths.containerdRoot, images);
  r.progress(
    `containerd ready; images ${imported.length ? `imported: ${imported.join(', ')}` : 'already present'}`,
  );
  return images.map((i) => i.tag);
}

async function startNode(r: Run): Promise<number> {
  const [dnsReadyPort, health, metrics] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(path.join(r.dir, 'Corefile'), conf.corefile(r.net, r.paths, dnsReadyPort));
  start(
    r,
    'kube-controller-manager',
    r.bins.kubeControllerManager,
    conf.controllerManagerArgs(r.net, r.paths),
  );
  start(r, 'kube-scheduler', r.bins.kubeScheduler, conf.schedulerArgs(r.paths));
  start(r, 'kubelet', r.bins.kubelet, conf.kubeletArgs(r.net, r.paths));
  start(r, 'kube-proxy', r.bins.kubeProxy, conf.kubeProxyArgs(r.net, r.paths, { health, metrics }));
  start(r, 'coredns', r.bins.coredns, ['-conf', path.join(r.dir, 'Corefile')]);
  return dnsReadyPort;
}

async function waitForNode(
  r: Run,
  kc: KubeConfig,
  dnsReadyPort: number,
  timeoutMs: number,
): Promise<void> {
  const api = kc.makeApiClient(CoreV1Api);
  const all = [...r.children.keys()];
  const opts = { timeoutMs, dead: () => deadProcess(r, all) };
  await waitUntil(
    `node ${conf.NODE_NAME} Ready`,
    async () => {
      const node = await api.readNode({ name: conf.NODE_NAME });
      return (
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false
      );
    },
    opts,
  );
  await waitUntil(
    'the default ServiceAccount',
    async () =>
      Boolean(await api.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })),
    opts,
  );
  await waitForHealthy(`http://127.0.0.1:${dnsReadyPort}/ready`, {
    timeoutMs,
    alive: () => !deadProcess(r, ['coredns']),
  });
  r.progress(
    `node ${conf.NODE_NAME} Ready, default ServiceAccount present, CoreDNS on ${r.net.dnsIp}:53`,
  );
}

/** Stops what recreates pods, deletes every pod so CNI DEL runs, waits for the tasks to go. */
async function drainPods(r: Run, kc: KubeConfig): Promise<void> {
  for (const name of ['kube-controller-manager', 'kube-scheduler']) {
    const child = r.children.get(name);
    if (child) await stopChild(child);
  }
  if (!r.children.get('kubelet') || deadProcess(r, ['kubelet', 'kube-apiserver'])) return;
  const api = kc.makeApiClient(CoreV1Api);
  const pods = await api.listPodForAllNamespaces().catch(() => ({ items: [] }));
  await Promise.all(
    pods.items.map((p) =>
      api
        .deleteNamespacedPod({
          name: p.metadata?.name ?? '',
          namespace: p.metadata?.namespace ?? '',
          gracePeriodSeconds: 0,
        })
        .catch(() => undefined),
    ),
  );
  const socket = conf.containerdSocket(r.dir);
  await waitUntil(
    'pods stopped',
    async () =>
      (
        await run('ctr', ['--address', socket, '-n', 'k8s.io', 'tasks', 'ls', '-q'])
      ).stdout.trim() === '',
    { timeoutMs: 20_000 },
  ).catch((err: unknown) => r.progress(`drain: ${String(err)}; teardown kills the rest`));
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const started = Date.now();
  const net = clusterNetwork(opts);
  preflight(net);
  const bins = findNodeBinaries();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cluster-'));
  const containerdRoot = path.join(cacheRoot(), 'containerd-root');
  const paths: RunPaths = {
    dir,
    containerdRoot,
    kubeconfig: path.join(dir, 'kubeconfig'),
    caFile: path.join(dir, 'ca.crt'),
    adminCertFile: path.join(dir, 'admin.crt'),
    adminKeyFile: path.join(dir, 'admin.key'),
    saPrivateKeyFile: path.join(dir, 'sa.key'),
  };
  const r: Run = {
    dir,
    net,
    bins,
    paths,
    children: new Map(),
    progress: opts.onProgress ?? ((): void => {}),
  };
  recordHostState(dir, net, { nodeBins: bins.dir, containerdRoot });
  const dismissReaper = startClusterReaper(dir);
  let kubeConfig: KubeConfig | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (kubeConfig) await drainPods(r, kubeConfig);
      await teardown(dir);
      await dismissReaper();
    })();
    return stopping;
  };
  try {
    createBridge(net);
    const certs = await writeControlPlaneCerts(dir, {
      ips: [net.nodeIp, net.apiServiceIp, '127.0.0.1'],
      dnsNames: [
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'localhost',
      ],
    });
    await writeFiles(r, certs);
    const server = `https://${net.nodeIp}:${conf.API_PORT}`;
    kubeConfig = writeKubeconfig(paths.kubeconfig, {
      server,
      caCert: certs.caCert,
      clientCert: certs.adminCert,
      clientKey: certs.adminKey,
    });
    const apiReady = startApiServer(r, certs);
    apiReady.catch(() => undefined); // awaited below; containerd may fail first
    const images = await startContainerd(r, path.join(cacheRoot(), 'images'));
    await apiReady;
    const dnsReadyPort = await startNode(r);
    await waitForNode(r, kubeConfig, dnsReadyPort, opts.readyTimeoutMs ?? 90_000);
    const pids = Object.fromEntries([...r.children].map(([n, c]) => [n, c.process.pid ?? 0]));
    return {
      server,
      kubeconfigPath: paths.kubeconfig,
      kubeConfig,
      caCert: certs.caCert,
      network: net,
      nodeName: conf.NODE_NAME,
      images,
      startupMs: Date.now() - started,
      dir,
      pids,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
