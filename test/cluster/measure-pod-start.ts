// Measures pod start time as the user feels it (create → Ready, polled every 50 ms)
// on the test cluster with weft installed: N pods one after another in a plain
// namespace and N in a meshed one; prints p50/p99 of each and the node's memory.
//   node dist/test/cluster/measure-pod-start.js [N=20]
import { execFileSync } from 'node:child_process';
import { CoreV1Api } from '@kubernetes/client-node';
import { startCluster } from './cluster.js';
import { installWeft, kubectlOk } from './journey-support.js';
import { ECHO_IMAGE } from './workloads.js';

const n = Number(process.argv[2] ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function untilReady(api: CoreV1Api, name: string, namespace: string): Promise<void> {
  for (let k = 0; k < 1200; k++) {
    const pod = await api.readNamespacedPod({ name, namespace });
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${namespace}/${name} not Ready within 60 s`);
}

const cluster = await startCluster();
try {
  const kc = cluster.kubeconfigPath;
  const rss = Object.entries(cluster.pids).map(([name, pid]) => {
    const kb = /VmRSS:\s+(\d+)/.exec(
      execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }),
    )?.[1];
    return `${name} ${Math.round(Number(kb) / 1024)} MiB`;
  });
  process.stdout.write(`cluster warm start ${cluster.startupMs} ms; node RSS: ${rss.join(', ')}\n`);
  await installWeft(kc, '120s');
  const api = cluster.kubeConfig.makeApiClient(CoreV1Api);
  for (const [ns, meshed] of [
    ['plain', false],
    ['meshed', true],
  ] as const) {
    await kubectlOk(kc, ['create', 'namespace', ns]);
    if (meshed) await kubectlOk(kc, ['label', 'namespace', ns, 'weft.dev/inject=enabled']);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const name = `p${i}`;
      const t0 = Date.now();
      await api.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name },
          spec: {
            containers: [
              {
                name: 'app',
                image: ECHO_IMAGE,
                imagePullPolicy: 'Never',
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
      await untilReady(api, name, ns);
      times.push(Date.now() - t0);
      await api.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      `${meshed ? 'with weft' : 'without weft'}: n=${n} p50=${percentile(times, 50)} ms p99=${percentile(times, 99)} ms (all: ${times.join(' ')})\n`,
    );
  }
} finally {
  await cluster.stop();
}
