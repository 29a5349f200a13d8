// Measures pod start time as the user feels it (create → Ready, polled every 50 ms)
// on the test cluster with weft installed: N pods one after another in a plain
// namespace and N in a meshed one; prints p50/p99 of each, the median time at which
// each start step was seen (pod-start-timeline.ts), the slowest meshed pod's
// weft-proxy log, and the node's memory.
//   node dist/test/cluster/measure-pod-start.js [N=20]
import { execFileSync } from 'node:child_process';
import { CoreV1Api } from '@kubernetes/client-node';
import { startCluster } from './cluster.js';
import { installWeft, kubectlOk } from './journey-support.js';
import { medianSteps, podStartTimeline } from './pod-start-timeline.js';
import type { Timeline } from './pod-start-timeline.js';
import { ECHO_IMAGE } from './workloads.js';

const n = Number(process.argv[2] ?? 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** A pod whose app container is the echo app with a 1 s readiness probe. */
async function createPod(api: CoreV1Api, namespace: string, name: string): Promise<void> {
  await api.createNamespacedPod({
    namespace,
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
}

/** The sidecar's JSON log lines: when it got its certificate and its first mesh view. */
const proxyLog = (kc: string, ns: string, name: string): Promise<string> =>
  kubectlOk(kc, ['logs', '-n', ns, name, '-c', 'weft-proxy']);

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
    const timelines: Timeline[] = [];
    let slowest = { ms: 0, log: '' };
    for (let i = 0; i < n; i++) {
      const name = `p${i}`;
      const t0 = Date.now();
      await createPod(api, ns, name);
      const timeline = await podStartTimeline(api, { name, namespace: ns, createdAt: t0 });
      times.push(Date.now() - t0);
      timelines.push(timeline);
      process.stderr.write(`${ns}/${name} ${JSON.stringify(timeline)}\n`);
      const ms = times.at(-1)!;
      slowest = meshed && ms > slowest.ms ? { ms, log: await proxyLog(kc, ns, name) } : slowest;
      await api.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      `${meshed ? 'with weft' : 'without weft'}: n=${n} p50=${percentile(times, 50)} ms p99=${percentile(times, 99)} ms (all: ${times.join(' ')})\n  median ms after create: ${medianSteps(timelines)}\n`,
    );
    if (meshed) process.stdout.write(`slowest meshed pod's weft-proxy log:\n${slowest.log}\n`);
  }
} finally {
  await cluster.stop();
}
