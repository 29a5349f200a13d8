// Prometheus on the host configured the way users run it against a cluster: pod
// discovery through the API server (kubernetes_sd_configs, role pod) as a
// ServiceAccount that may only get/list/watch pods, and the usual relabelling on the
// prometheus.io/scrape|port|path annotations (the prometheus-community Helm chart's
// `kubernetes-pods` job). The host reaches pod IPs through the node's bridge.
// Debian's prometheus is built without Kubernetes discovery, so this one comes
// from test/cluster/build.sh (Prometheus from the Go module proxy, Kubernetes SD only).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { startPrometheusWith } from '../support/prometheus.js';
import type { Prometheus } from '../support/prometheus.js';
import type { Cluster } from './cluster.js';
import { clusterSourceDir } from './host.js';
import { kubectlOk } from './journey-support.js';

export const PROMETHEUS_NAMESPACE = 'monitoring';
const NAME = 'prometheus';

/** The scrape job users copy for annotated pods (scheme, path, port from annotations). */
export function podScrapeJob(apiServer: string, caFile: string, tokenFile: string): object {
  return {
    job_name: 'kubernetes-pods',
    kubernetes_sd_configs: [
      {
        role: 'pod',
        api_server: apiServer,
        tls_config: { ca_file: caFile },
        authorization: { credentials_file: tokenFile },
      },
    ],
    relabel_configs: [
      {
        source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'],
        action: 'keep',
        regex: 'true',
      },
      {
        source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scheme'],
        action: 'replace',
        regex: '(https?)',
        target_label: '__scheme__',
      },
      {
        source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
        action: 'replace',
        regex: '(.+)',
        target_label: '__metrics_path__',
      },
      {
        source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        action: 'replace',
        regex: '([^:]+)(?::\\d+)?;(\\d+)',
        replacement: '$1:$2',
        target_label: '__address__',
      },
      { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
      {
        source_labels: ['__meta_kubernetes_namespace'],
        action: 'replace',
        target_label: 'namespace',
      },
      { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
      {
        source_labels: ['__meta_kubernetes_pod_phase'],
        regex: 'Pending|Succeeded|Failed|Completed',
        action: 'drop',
      },
    ],
  };
}

/** A ServiceAccount with read access to pods, and a token for it (1 h). */
async function prometheusToken(cluster: Cluster): Promise<string> {
  const kc = cluster.kubeconfigPath;
  await kubectlOk(kc, ['create', 'namespace', PROMETHEUS_NAMESPACE]);
  await kubectlOk(kc, ['create', 'serviceaccount', '-n', PROMETHEUS_NAMESPACE, NAME]);
  await kubectlOk(kc, ['create', 'clusterrole', NAME, '--verb=get,list,watch', '--resource=pods']);
  await kubectlOk(kc, [
    'create',
    'clusterrolebinding',
    NAME,
    `--clusterrole=${NAME}`,
    `--serviceaccount=${PROMETHEUS_NAMESPACE}:${NAME}`,
  ]);
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: PROMETHEUS_NAMESPACE,
    name: NAME,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return tr.status?.token ?? '';
}

/** The Prometheus test/cluster/build.sh built, or a clear error saying how to build it. */
export function prometheusWithKubernetesSd(): string {
  const script = path.join(clusterSourceDir, 'build.sh');
  const bin = execFileSync(script, ['--print-prometheus'], { encoding: 'utf8' }).trim();
  try {
    accessSync(bin, constants.X_OK);
  } catch (cause) {
    throw new Error(`${bin} is missing: run 'npm run prometheus:build' first`, { cause });
  }
  return bin;
}

/** Starts Prometheus discovering and scraping the cluster's annotated pods every second. */
export async function startPodPrometheus(cluster: Cluster): Promise<Prometheus> {
  const bin = prometheusWithKubernetesSd();
  const token = await prometheusToken(cluster);
  return startPrometheusWith(
    (dir) => {
      const caFile = path.join(dir, 'ca.crt');
      const tokenFile = path.join(dir, 'token');
      writeFileSync(caFile, cluster.caCert);
      writeFileSync(tokenFile, token, { mode: 0o600 });
      return stringify({
        global: { scrape_interval: '1s', scrape_timeout: '900ms' },
        scrape_configs: [podScrapeJob(cluster.server, caFile, tokenFile)],
      });
    },
    { bin },
  );
}

/** Removes what startPodPrometheus created in the cluster. */
export async function removePodPrometheus(cluster: Cluster): Promise<void> {
  const kc = cluster.kubeconfigPath;
  await kubectlOk(kc, ['delete', 'clusterrolebinding,clusterrole', NAME]);
  await kubectlOk(kc, ['delete', 'namespace', PROMETHEUS_NAMESPACE, '--wait=false']);
}
