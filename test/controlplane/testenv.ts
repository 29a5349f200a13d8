// A real kube-apiserver backed by a real etcd, both local processes on loopback,
// started for one test run (envtest-style, see shared/TESTENV.md). No kubelet, no
// scheduler, no controller manager: pods stay Pending, everything else is real.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { findBinaries } from './binaries.js';
import type { Binaries } from './binaries.js';
import { writeControlPlaneCerts } from './certs.js';
import type { ControlPlaneCerts } from './certs.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePort, isRunning, logTail, startChild, startReaper, stopChild } from './processes.js';
import type { Child } from './processes.js';
import { waitForHealthy } from './readiness.js';

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Absolute path of the admin kubeconfig file. */
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** The API server's serving CA (PEM), for clients that build their own TLS. */
  readonly caCert: string;
  /** Milliseconds from the first process start until /readyz answered. */
  readonly startupMs: number;
  /** The run's temporary directory; removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly readyTimeoutMs?: number;
  /** Progress lines (the CLI prints them; tests stay quiet). */
  readonly onProgress?: (line: string) => void;
  /** ClusterIP range; the default /24 holds 254 Services (bench:discovery needs 1000). */
  readonly serviceCidr?: string;
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=weft-testenv',
    `--data-dir=${path.join(dir, 'etcd-data')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=weft-testenv=${peer}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

function apiserverArgs(
  certs: ControlPlaneCerts,
  etcdPort: number,
  port: number,
  serviceCidr = '10.0.0.0/24',
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${certs.serverCertFile}`,
    `--tls-private-key-file=${certs.serverKeyFile}`,
    `--client-ca-file=${certs.caFile}`,
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    `--service-cluster-ip-range=${serviceCidr}`,
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-key-file=${certs.saPublicKeyFile}`,
    `--service-account-signing-key-file=${certs.saPrivateKeyFile}`,
    // No endpoints controller here: stop the apiserver reconciling its own address.
    '--endpoint-reconciler-type=none',
  ];
}

interface Run {
  readonly dir: string;
  readonly children: Child[];
  dismissReaper: () => void;
}

/** Synchronous last-resort cleanup for a process that exits without stop(). */
function cleanupSync(run: Run): void {
  for (const child of run.children) if (isRunning(child)) child.process.kill('SIGKILL');
  rmSync(run.dir, { recursive: true, force: true });
  run.dismissReaper();
}

async function startProcesses(
  binaries: Binaries,
  run: Run,
  opts: StartOptions,
): Promise<{ server: string; certs: ControlPlaneCerts }> {
  const progress = opts.onProgress ?? ((): void => {});
  const certs = await writeControlPlaneCerts(run.dir);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = startChild(
    'etcd',
    binaries.etcd,
    etcdArgs(run.dir, etcdPort, peerPort),
    path.join(run.dir, 'etcd.log'),
  );
  run.children.push(etcd);
  await waitForHealthy(`http://127.0.0.1:${etcdPort}/health`, {
    timeoutMs: 30_000,
    alive: () => isRunning(etcd),
  }).catch((cause: unknown) => {
    throw new Error(`etcd did not start: ${String(cause)}\n${logTail(etcd)}`, { cause });
  });
  progress(`etcd ready on 127.0.0.1:${etcdPort}`);

  const api = startChild(
    'kube-apiserver',
    binaries.kubeApiserver,
    apiserverArgs(certs, etcdPort, apiPort, opts.serviceCidr),
    path.join(run.dir, 'kube-apiserver.log'),
  );
  run.children.push(api);
  run.dismissReaper();
  run.dismissReaper = startReaper(
    run.children.map((c) => c.process.pid ?? 0).filter((p) => p > 0),
    run.dir,
  );
  const server = `https://127.0.0.1:${apiPort}`;
  await waitForHealthy(`${server}/readyz`, {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    alive: () => isRunning(api),
    tls: { ca: certs.caCert, cert: certs.adminCert, key: certs.adminKey },
  }).catch((cause: unknown) => {
    throw new Error(`kube-apiserver did not become ready: ${String(cause)}\n${logTail(api)}`, {
      cause,
    });
  });
  progress(`kube-apiserver ready on ${server}`);
  return { server, certs };
}

/**
 * Starts a control plane, again (at most 3 times) when a port it picked was taken
 * before its process bound it: freePort() closes its probe before etcd or the API
 * server listens, and suites that run in parallel pick ports at the same time.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startControlPlaneOnce(opts);
    } catch (err) {
      const raced = /address already in use/.test(String((err as Error).stack ?? err));
      if (!raced || attempt === 3) throw err;
      opts.onProgress?.(`a port was taken before it was bound; starting again (${attempt + 1}/3)`);
    }
  }
}

async function startControlPlaneOnce(opts: StartOptions): Promise<ControlPlane> {
  const binaries = findBinaries();
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-testenv-'));
  const run: Run = { dir, children: [], dismissReaper: startReaper([], dir) };
  const onExit = (): void => cleanupSync(run);
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const child of [...run.children].reverse()) await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      run.dismissReaper();
      process.removeListener('exit', onExit);
    })();
    return stopping;
  };

  try {
    await mkdir(dir, { recursive: true });
    const { server, certs } = await startProcesses(binaries, run, opts);
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    const kubeConfig = writeKubeconfig(kubeconfigPath, {
      server,
      caCert: certs.caCert,
      clientCert: certs.adminCert,
      clientKey: certs.adminKey,
    });
    return {
      server,
      kubeconfigPath,
      kubeConfig,
      caCert: certs.caCert,
      startupMs: Date.now() - started,
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
