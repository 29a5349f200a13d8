// Helpers for the journey suite on the real node: kubectl with JSON output, pods by
// label, a TLS check of a served certificate, a ServiceAccount kubeconfig, and a
// sidecar's metrics read from the host (pod IPs are on the node's bridge).
import assert from 'node:assert/strict';
import path from 'node:path';
import tls from 'node:tls';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import { kubectl } from '../support/kubectl.js';
import type { Cluster } from './cluster.js';

export async function kubectlOk(
  kubeconfig: string,
  args: string[],
  stdin?: string,
): Promise<string> {
  const res = await kubectl(kubeconfig, args, undefined, stdin);
  assert.equal(res.code, 0, `kubectl ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

/** `kubectl apply -k manifests/`, then waits for the control plane's rollout. */
export async function installWeft(kubeconfig: string, timeout: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '-k', 'manifests/']);
  await kubectlOk(kubeconfig, [
    'rollout',
    'status',
    '-n',
    'weft-system',
    'deploy/weft-control-plane',
    `--timeout=${timeout}`,
  ]);
}

export async function kubectlJson<T>(kubeconfig: string, args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(kubeconfig, [...args, '-o', 'json'])) as T;
}

export async function podsOf(
  kubeconfig: string,
  namespace: string,
  selector: string,
): Promise<V1Pod[]> {
  const list = await kubectlJson<{ items: V1Pod[] }>(kubeconfig, [
    'get',
    'pods',
    '-n',
    namespace,
    '-l',
    selector,
  ]);
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Resolves when a TLS handshake to host:port for `servername` verifies against `ca`. */
export function verifyServing(
  host: string,
  port: number,
  servername: string,
  ca: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername, ca, timeout: 5000 }, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** A kubeconfig authenticating as a ServiceAccount (token for the API server's audience). */
export async function serviceAccountKubeconfig(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<string> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const file = path.join(cluster.dir, `${namespace}.${name}.kubeconfig`);
  writeKubeconfig(file, {
    server: cluster.server,
    caCert: cluster.caCert,
    token: tr.status?.token ?? '',
  });
  return file;
}

/** The pod's sidecar metrics (port 15020, which the injected rules leave uncaptured for the kubelet). */
export async function sidecarMetrics(pod: V1Pod): Promise<string> {
  const res = await fetch(`http://${pod.status?.podIP ?? ''}:15020/metrics`, {
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200);
  return res.text();
}

/** Sum of a metric's samples whose labels include every given label. */
export function metricSum(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
