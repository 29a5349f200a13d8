// bench:webhook — admission latency, in one run:
//   direct: AdmissionReviews posted over HTTPS to `weft webhook` (its own process),
//           50 in flight, realistic pods from the golden files; the baseline is the
//           same server answering a review it does not mutate (a ConfigMap)
//   pod create: pods created through the real kube-apiserver without the webhook,
//           then with it registered; the difference is what injection adds.
//   2 MB pods: the shapes of test/support/large-pods.ts (one is the forged
//           weft.dev/status that once held the event loop for ~20 s), one in flight,
//           with /healthz polled meanwhile. BENCH_WEBHOOK_ONLY=large runs only these.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { startControlPlane } from '../test/controlplane/testenv.js';
import { createNamespace, uniqueName } from '../test/support/cluster.js';
import { request } from '../test/support/https.js';
import { LARGE_PODS, TWO_MB } from '../test/support/large-pods.js';
import { startWeft } from '../test/support/weft-process.js';
import type { RunResult } from './stats.js';
import { fmt, measure, printTable, writeJson } from './stats.js';

const DIRECT_N = Number(process.env.BENCH_WEBHOOK_N ?? 5000);
const CREATE_N = Number(process.env.BENCH_WEBHOOK_CREATE_N ?? 300);
const LARGE_N = Number(process.env.BENCH_WEBHOOK_LARGE_N ?? 5);
const ONLY_LARGE = process.env.BENCH_WEBHOOK_ONLY === 'large';
const log = (s: string): void => void process.stderr.write(`[bench:webhook] ${s}\n`);

/** Pods from the golden cases that inject (no refusal, not already injected). */
function goldenPods(): unknown[] {
  const root = path.resolve(import.meta.dirname, '../../test/golden/webhook');
  return readdirSync(root)
    .filter((d) => !existsSync(path.join(root, d, 'refused.txt')))
    .map(
      (d) =>
        parse(readFileSync(path.join(root, d, 'input.yaml'), 'utf8')) as {
          kind: string;
          metadata?: { annotations?: Record<string, string> };
        },
    )
    .filter((o) => o.kind === 'Pod' && !o.metadata?.annotations?.['weft.dev/status']);
}

const review = (i: number, object: unknown, kind = 'Pod'): string =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `bench-${i}`,
      kind: { group: '', version: 'v1', kind },
      operation: 'CREATE',
      namespace: 'bench',
      object,
    },
  });

const cp = await startControlPlane();
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(cp.kubeConfig, 'bench', { 'weft.dev/inject': 'enabled' });
  log('starting the webhook in its own process');
  const server = spawn(
    process.execPath,
    [path.resolve(import.meta.dirname, 'webhook-server.js'), cp.kubeconfigPath, '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const { port, caPem } = await new Promise<{ port: number; caPem: string }>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) =>
      resolve(JSON.parse(d.toString()) as { port: number; caPem: string }),
    );
    server.once('exit', () => reject(new Error('webhook process exited')));
  });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 50, ca: caPem });
  const pods = goldenPods();
  log(`${pods.length} pod fixtures`);
  const post = (body: string) => async (): Promise<void> => {
    const r = await request(`https://127.0.0.1:${port}/inject`, {
      ca: caPem,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      agent,
    });
    if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${r.body}`);
  };
  // The 2 MB shapes, opted in by pod label so each reaches strip/inject/diff.
  const largeResults: RunResult[] = [];
  let healthzMaxMs = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = performance.now();
      await request(`https://127.0.0.1:${port}/healthz`, { ca: caPem, agent });
      healthzMaxMs = Math.max(healthzMaxMs, performance.now() - s);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  for (const [shape, make] of Object.entries(LARGE_PODS)) {
    const pod = make(TWO_MB);
    pod.metadata = { ...pod.metadata, labels: { 'weft.dev/inject': 'true' } };
    const body = review(0, pod);
    largeResults.push(await measure(`2 MB, ${shape}`, LARGE_N, 1, () => post(body)()));
  }
  polling = false;
  await poller;
  printTable(
    ['2 MB pod', 'requests', 'p50 ms', 'max ms'],
    largeResults.map((r) => [r.name, r.ops, r.p50Ms, r.maxMs]),
  );
  process.stdout.write(`/healthz slowest while admitting 2 MB pods: ${fmt(healthzMaxMs)} ms\n`);
  if (ONLY_LARGE) {
    agent.destroy();
    server.kill('SIGTERM');
    log(`results written to ${writeJson('webhook-large', { largeResults, healthzMaxMs })}`);
    await cp.stop();
    process.exit(0); // skips the finally below, whose cp.stop() has just run
  }
  const baselineBodies = Array.from({ length: 64 }, (_, i) =>
    review(i, { metadata: { name: `cm-${i}` } }, 'ConfigMap'),
  );
  const podBodies = Array.from({ length: 64 }, (_, i) => review(i, pods[i % pods.length]));
  await measure('warm-up', 500, 50, (i) => post(podBodies[i % 64]!)());
  const results: RunResult[] = [];
  results.push(
    await measure('direct, not mutated (baseline)', DIRECT_N, 50, (i) =>
      post(baselineBodies[i % 64]!)(),
    ),
  );
  results.push(
    await measure('direct, pod injected', DIRECT_N, 50, (i) => post(podBodies[i % 64]!)()),
  );
  // One in flight: the service time of a review, without queueing behind 49 others.
  results.push(
    await measure('direct, pod injected, 1 in flight', 1000, 1, (i) => post(podBodies[i % 64]!)()),
  );
  agent.destroy();
  server.kill('SIGTERM');

  const create =
    (prefix: string) =>
    async (i: number): Promise<void> => {
      await core.createNamespacedPod({
        namespace: 'bench',
        body: {
          metadata: { name: `${prefix}-${i}` },
          spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
        },
      });
    };
  log('pod creates without the webhook');
  await measure('warm-up', 50, 4, create(uniqueName('w')));
  results.push(await measure('pod create, no webhook (baseline)', CREATE_N, 4, create('plain')));
  log('pod creates with the webhook registered');
  const registered = startWeft([
    'webhook',
    '--kubeconfig',
    cp.kubeconfigPath,
    '--listen',
    '127.0.0.1:0',
    '--register',
    'true',
  ]);
  await registered.waitFor(/registered webhook configuration/);
  await measure('warm-up', 50, 4, create(uniqueName('w')));
  const injected = await measure('pod create, webhook registered', CREATE_N, 4, create('meshed'));
  results.push(injected);
  const sample = await core.readNamespacedPod({ namespace: 'bench', name: 'meshed-0' });
  if (!sample.spec?.initContainers?.some((c) => c.name === 'weft-proxy'))
    throw new Error('pods were not injected');
  await registered.signal('SIGTERM');

  const [base, direct, single, createBase, createHook] = results as [
    RunResult,
    RunResult,
    RunResult,
    RunResult,
    RunResult,
  ];
  printTable(
    ['path', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms'],
    results.map((r) => [r.name, r.ops, r.ops / r.wallSeconds, r.p50Ms, r.p99Ms, r.maxMs]),
  );
  process.stdout.write(
    `direct p99 ${fmt(direct.p99Ms)} ms at 50 in flight (${fmt(direct.p99Ms / base.p99Ms)}x the unmutated baseline), ` +
      `${fmt(single.p99Ms)} ms with 1 in flight; ` +
      `pod create p99 added by the webhook: ${fmt(createHook.p99Ms - createBase.p99Ms)} ms, p50 added ${fmt(createHook.p50Ms - createBase.p50Ms)} ms\n`,
  );
  log(`results written to ${writeJson('webhook', { results })}`);
} finally {
  await cp.stop();
}
