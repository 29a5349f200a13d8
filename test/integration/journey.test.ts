// The user's journey on a real node: install with kustomize, mesh two apps, call
// one from the other through cluster DNS and a ClusterIP, run a Job, issue and deny
// CSRs, run the plugin, scrape the sidecars with a real Prometheus, survive
// control-plane and app pod deletions under traffic, and uninstall. Each `it` is
// one step of issue 11, in order, on one cluster.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { startCluster } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import {
  installWeft,
  kubectlJson,
  kubectlOk,
  metricSum,
  podsOf,
  serviceAccountKubeconfig,
  sidecarMetrics,
  verifyServing,
} from '../cluster/journey-support.js';
import { startPodPrometheus, removePodPrometheus } from '../cluster/prometheus-pods.js';
import { waitUntil } from '../cluster/wait.js';
import { callFromPod, echoApp, ECHO_IMAGE } from '../cluster/workloads.js';
import { makeCsr } from '../support/csr.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';

const NS = 'journey';
const BETA_URL = `http://beta.${NS}.svc.cluster.local:8080/hello`;
/** Both apps run as `default`: the identity each sidecar's certificate carries. */
const DEFAULT_ID = `spiffe://cluster.local/ns/${NS}/sa/default`;

describe('journey: weft on a real node, from install to uninstall', { timeout: 900_000 }, () => {
  let cluster: Cluster;
  let kc: string;
  const timings: Record<string, number> = {};
  /** Step 3's successful alpha → beta calls, which step 7 finds in Prometheus. */
  let step3Calls = 0;
  before(async () => {
    cluster = await startCluster();
    kc = cluster.kubeconfigPath;
  });
  after(async () => {
    process.stderr.write(`journey timings (ms): ${JSON.stringify(timings)}\n`);
    await cluster?.stop();
  });

  it('1. installs with kubectl apply -k: both replicas Ready, caBundle verifies the webhook', async () => {
    const t0 = Date.now();
    await installWeft(kc, '60s');
    timings.installReady = Date.now() - t0;
    assert.ok(timings.installReady <= 60_000, `Ready after ${timings.installReady} ms`);
    const deploy = await kubectlJson<{ status: { readyReplicas?: number } }>(kc, [
      'get',
      'deploy',
      '-n',
      'weft-system',
      'weft-control-plane',
    ]);
    assert.equal(deploy.status.readyReplicas, 2);
    let caBundle = '';
    await waitUntil(
      'the caBundle filled by weft',
      async () => {
        const mwc = await kubectlJson<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(kc, [
          'get',
          'mutatingwebhookconfiguration',
          'weft-injector',
        ]);
        caBundle = mwc.webhooks.every((w) => w.clientConfig.caBundle)
          ? (mwc.webhooks[0]?.clientConfig.caBundle ?? '')
          : '';
        return caBundle !== '';
      },
      { timeoutMs: 30_000 },
    );
    const svc = await kubectlJson<{ spec: { clusterIP: string } }>(kc, [
      'get',
      'svc',
      '-n',
      'weft-system',
      'weft-webhook',
    ]);
    // Ready pods reach the Service's EndpointSlice and kube-proxy's rules a moment after
    // rollout status returns; until then the ClusterIP refuses. Bounded retries.
    await waitUntil(
      'the webhook Service to serve with a certificate the caBundle verifies',
      () =>
        verifyServing(
          svc.spec.clusterIP,
          443,
          'weft-webhook.weft-system.svc',
          Buffer.from(caBundle, 'base64').toString(),
        ).then(
          () => true,
          (err: unknown) => {
            // Only a refused connection is the propagation lag; a bad certificate fails now.
            if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false;
            throw err;
          },
        ),
      { timeoutMs: 15_000, intervalMs: 500 },
    );
  });

  it('2. injects weft-init and a native weft-proxy into two meshed Deployments that become Ready', async () => {
    await kubectlOk(kc, ['create', 'namespace', NS]);
    await kubectlOk(kc, ['label', 'namespace', NS, 'weft.dev/inject=enabled']);
    await kubectlOk(kc, ['apply', '-f', '-'], `${echoApp('alpha', NS)}---\n${echoApp('beta', NS)}`);
    for (const app of ['alpha', 'beta']) {
      await kubectlOk(kc, ['rollout', 'status', '-n', NS, `deploy/${app}`, '--timeout=120s']);
    }
    const pods = [...(await podsOf(kc, NS, 'app=alpha')), ...(await podsOf(kc, NS, 'app=beta'))];
    assert.equal(pods.length, 4);
    for (const pod of pods) assertInjectedAndStarted(pod);
  });

  it('3. alpha calls beta by Service name through cluster DNS and the ClusterIP: captured, balanced per request, mTLS with both identities', async () => {
    // Discovery streams alpha's sidecar the mesh: beta's endpoints are meshed, so the
    // call is routed by Host, balanced per request over both replicas and carried over
    // mTLS; beta's sidecar verifies alpha and tells the app in XFCC (set only for a
    // verified peer; a caller-sent one is replaced). Both pods run as `default`.
    const id = DEFAULT_ID;
    const [alpha] = await podsOf(kc, NS, 'app=alpha');
    const betas = (await podsOf(kc, NS, 'app=beta')).map((p) => p.metadata?.name);
    const requests = async (): Promise<number> =>
      metricSum(await sidecarMetrics(alpha!), 'istio_requests_total', {
        reporter: 'source',
        destination_service_name: 'beta',
        response_code: '200',
      });
    const before_ = await requests();
    const seen = new Set<string>();
    let calls = 0;
    await waitUntil(
      'calls reaching both beta replicas over mTLS',
      async () => {
        const res = await callFromPod(kc, NS, alpha!.metadata!.name!, BETA_URL);
        assert.equal(res.status, 200, res.error);
        const body = JSON.parse(res.body) as {
          pod: string;
          path: string;
          headers: Record<string, string | undefined>;
        };
        assert.equal(body.path, '/hello');
        if (body.headers['x-forwarded-client-cert'] !== `By=${id};URI=${id}`) return false;
        calls++;
        seen.add(body.pod);
        return seen.size === 2 && calls >= 5;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    assert.deepEqual([...seen].sort(), [...betas].sort());
    step3Calls = calls;
    const counted = (await requests()) - before_;
    assert.ok(counted >= calls, `alpha's sidecar counted ${counted} of ${calls} requests to beta`);
  });

  it('4. a Job with an injected pod completes (the sidecar does not hold it)', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: NS },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'app',
                image: ECHO_IMAGE,
                imagePullPolicy: 'Never',
                command: ['/usr/bin/node', '-e', 'setTimeout(() => {}, 500)'],
              },
            ],
          },
        },
      },
    };
    await kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(job));
    await kubectlOk(kc, [
      'wait',
      '-n',
      NS,
      '--for=condition=complete',
      'job/once',
      '--timeout=90s',
    ]);
    const [pod] = await podsOf(kc, NS, 'job-name=once');
    assert.ok(
      pod?.spec?.initContainers?.some((c) => c.name === 'weft-proxy'),
      'the Job pod was injected',
    );
  });

  it("5. a CSR for a workload's own identity is approved and issued; another identity is denied", async () => {
    await kubectlOk(kc, ['create', 'serviceaccount', '-n', NS, 'csr-client']);
    await kubectlOk(kc, [
      'create',
      'clusterrole',
      'journey-csr',
      '--verb=create,get,list,watch',
      '--resource=certificatesigningrequests',
    ]);
    await kubectlOk(kc, [
      'create',
      'clusterrolebinding',
      'journey-csr',
      '--clusterrole=journey-csr',
      `--serviceaccount=${NS}:csr-client`,
    ]);
    const asClient = await serviceAccountKubeconfig(cluster, NS, 'csr-client');
    const submit = async (name: string, sa: string): Promise<void> => {
      const csr = await makeCsr({ uris: [`spiffe://cluster.local/ns/${NS}/sa/${sa}`] });
      await kubectlOk(
        asClient,
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name },
          spec: {
            request: Buffer.from(csr.pem).toString('base64'),
            signerName: 'weft.dev/workload',
            usages: ['digital signature', 'client auth', 'server auth'],
          },
        }),
      );
    };
    await submit('journey-own', 'csr-client');
    await submit('journey-other', 'someone-else');
    type Csr = { status?: { certificate?: string; conditions?: { type: string }[] } };
    await waitUntil(
      'own identity approved and issued, the other denied',
      async () => {
        const own = await kubectlJson<Csr>(kc, ['get', 'csr', 'journey-own']);
        const other = await kubectlJson<Csr>(kc, ['get', 'csr', 'journey-other']);
        return (
          Boolean(own.status?.certificate) &&
          (own.status?.conditions ?? []).some((c) => c.type === 'Approved') &&
          (other.status?.conditions ?? []).some((c) => c.type === 'Denied') &&
          !other.status?.certificate
        );
      },
      { timeoutMs: 30_000 },
    );
  });

  it('6. kubectl weft identities, audit --fail-on high, check, proxy-status and config pass; an uninjected pod fails audit', async () => {
    const env = pluginEnv();
    for (const args of [
      ['weft', 'identities', '-A'],
      ['weft', 'audit', '-A', '--fail-on', 'high'],
      ['weft', 'check'],
    ]) {
      const res = await kubectl(kc, args, env);
      assert.equal(res.code, 0, `kubectl ${args.join(' ')}:\n${res.stdout}\n${res.stderr}`);
    }
    // proxy-status and config read the replicas' loopback debug port and the sidecar's
    // loopback admin port through the API server's port-forward to the kubelet: the
    // path a user's kubectl takes, which the API-server-only suites cannot exercise.
    const meshed = [...(await podsOf(kc, NS, 'app=alpha')), ...(await podsOf(kc, NS, 'app=beta'))];
    const wanted = meshed.map((p) => `${NS}/${p.metadata!.name!}`).sort();
    await waitUntil(
      'kubectl weft proxy-status: every alpha and beta sidecar SYNCED',
      async () => {
        const res = await kubectl(kc, ['weft', 'proxy-status', '-n', NS, '-o', 'json'], env);
        assert.equal(res.code, 0, `proxy-status:\n${res.stdout}\n${res.stderr}`);
        const doc = JSON.parse(res.stdout) as { items: { pod: string; state: string }[] };
        const synced = doc.items.filter((i) => i.state === 'SYNCED').map((i) => i.pod);
        return wanted.every((w) => synced.includes(w));
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    const alphaPod = meshed.find((p) => p.metadata?.labels?.app === 'alpha')!.metadata!.name!;
    const cfg = await kubectl(kc, ['weft', 'config', alphaPod, '-n', NS, '-o', 'json'], env);
    assert.equal(cfg.code, 0, `config:\n${cfg.stdout}\n${cfg.stderr}`);
    const view = JSON.parse(cfg.stdout) as {
      source: string;
      identity?: { spiffeId: string };
      config: { services: { name: string; namespace: string; endpoints: unknown[] }[] };
    };
    assert.equal(view.source, 'discovery');
    assert.equal(view.identity?.spiffeId, DEFAULT_ID);
    const beta = view.config.services.find((x) => x.name === 'beta' && x.namespace === NS);
    assert.equal(beta?.endpoints.length, 2, 'alpha holds both beta endpoints');
    // Broken: a pod that runs without the sidecar in a meshed namespace (it was
    // created before the namespace was labelled, so nothing injected it).
    await kubectlOk(kc, ['create', 'namespace', 'journey-late']);
    const broken = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'uninjected', namespace: 'journey-late' },
      spec: { containers: [{ name: 'app', image: ECHO_IMAGE, imagePullPolicy: 'Never' }] },
    };
    await kubectlOk(kc, ['apply', '-f', '-'], JSON.stringify(broken));
    await kubectlOk(kc, ['label', 'namespace', 'journey-late', 'weft.dev/inject=enabled']);
    const res = await kubectl(
      kc,
      ['weft', 'audit', '-n', 'journey-late', '--fail-on', 'high'],
      env,
    );
    assert.equal(res.code, 1, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /high\s+uninjected-pod\s+journey-late\s+pod\/uninjected/);
    await kubectlOk(kc, ['delete', 'namespace', 'journey-late', '--wait=false']);
  });

  it("7. a real Prometheus finds the sidecars by their prometheus.io annotations and has step 3's istio_requests_total", async () => {
    assert.ok(step3Calls > 0, 'step 3 made calls');
    const betas = await podsOf(kc, NS, 'app=beta');
    // Exactly step 3's call as beta's sidecars saw it: alpha's verified identity, mTLS, 200.
    const call = {
      reporter: 'destination',
      source_workload: 'alpha',
      source_workload_namespace: NS,
      source_principal: DEFAULT_ID,
      destination_workload: 'beta',
      destination_service_name: 'beta',
      response_code: '200',
      connection_security_policy: 'mutual_tls',
    };
    const selector = Object.entries(call)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ');
    const prom = await startPodPrometheus(cluster);
    try {
      await waitUntil(
        "Prometheus scraping both beta pods at the sidecar's port and path from their annotations",
        async () => {
          const targets = await prom.targets();
          return betas.every((p) =>
            targets.some(
              (t) =>
                t.scrapeUrl === `http://${p.status?.podIP}:15020/stats/prometheus` &&
                t.health === 'up' &&
                t.labels.pod === p.metadata?.name &&
                t.labels.namespace === NS,
            ),
          );
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      // No alpha → beta traffic since step 3: Prometheus must hold what each sidecar counts.
      const own = new Map<string, number>();
      for (const p of betas)
        own.set(
          p.metadata!.name!,
          metricSum(await sidecarMetrics(p), 'istio_requests_total', call),
        );
      let scraped = new Map<string, number>();
      await waitUntil(
        "step 3's requests in Prometheus, per beta pod",
        async () => {
          const rows = await prom.query(`sum by (pod) (istio_requests_total{${selector}})`);
          scraped = new Map(rows.map((r) => [r.metric.pod ?? '', r.value]));
          return [...own].every(([pod, n]) => scraped.get(pod) === n);
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      const total = [...scraped.values()].reduce((a, b) => a + b, 0);
      assert.ok(total >= step3Calls, `Prometheus has ${total} of step 3's ${step3Calls} calls`);
      assert.ok(
        [...scraped.values()].every((n) => n >= 1),
        `both replicas served step 3: ${JSON.stringify([...scraped])}`,
      );
    } finally {
      await prom.stop();
      await removePodPrometheus(cluster);
    }
  });

  it('8. deleting a control-plane pod under steady traffic fails no request; a deleted app pod is replaced, injected, serving', async () => {
    const [alpha] = await podsOf(kc, NS, 'app=alpha');
    const load = kubectl(kc, [
      'exec',
      '-n',
      NS,
      alpha!.metadata!.name!,
      '-c',
      'app',
      '--',
      '/usr/bin/node',
      '/echo/echo-app.js',
      'load',
      BETA_URL,
      '12000',
    ]);
    await new Promise((r) => setTimeout(r, 2000));
    const [cp] = await podsOf(kc, 'weft-system', 'app.kubernetes.io/name=weft-control-plane');
    await kubectlOk(kc, [
      'delete',
      'pod',
      '-n',
      'weft-system',
      cp!.metadata!.name!,
      '--wait=false',
    ]);
    const result = await load;
    assert.equal(result.code, 0, result.stderr);
    const counts = JSON.parse(result.stdout) as { ok: number; failed: number; errors: string[] };
    assert.equal(counts.failed, 0, counts.errors.join('; '));
    assert.ok(counts.ok > 20, `only ${counts.ok} requests in 12 s`);
    await kubectlOk(kc, [
      'rollout',
      'status',
      '-n',
      'weft-system',
      'deploy/weft-control-plane',
      '--timeout=60s',
    ]);

    const [victim] = await podsOf(kc, NS, 'app=beta');
    await kubectlOk(kc, ['delete', 'pod', '-n', NS, victim!.metadata!.name!]);
    await kubectlOk(kc, ['rollout', 'status', '-n', NS, 'deploy/beta', '--timeout=60s']);
    const replacement = (await podsOf(kc, NS, 'app=beta')).filter(
      (p) => p.metadata?.name !== victim!.metadata!.name,
    );
    assert.equal(replacement.length, 2);
    for (const pod of replacement) assertInjectedAndStarted(pod);
    const newest = replacement.sort((a, b) =>
      String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)),
    )[0];
    await waitUntil(
      'the replacement answering through the Service',
      async () => {
        const res = await callFromPod(kc, NS, alpha!.metadata!.name!, BETA_URL);
        return (
          res.status === 200 &&
          (JSON.parse(res.body) as { pod: string }).pod === newest?.metadata?.name
        );
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
  });

  it('9. kubectl delete -k removes weft; only the per-namespace trust bundles remain', async () => {
    await kubectlOk(kc, ['delete', 'clusterrolebinding,clusterrole', 'journey-csr']);
    await kubectlOk(kc, ['delete', '-k', 'manifests/', '--timeout=120s']);
    await waitUntil(
      'weft-system gone',
      async () => (await kubectl(kc, ['get', 'namespace', 'weft-system'])).code !== 0,
      { timeoutMs: 90_000 },
    );
    const kinds =
      'namespaces,crd,clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations';
    const cluster_ = await kubectlJson<{ items: { kind: string; metadata: { name: string } }[] }>(
      kc,
      ['get', kinds, '-l', 'app.kubernetes.io/part-of=weft'],
    );
    assert.deepEqual(
      cluster_.items.map((i) => `${i.kind}/${i.metadata.name}`),
      [],
    );
    // What stays, by design: the trust bundle weft's CA wrote into each namespace
    // (meshed pods that keep running still mount it). `kubectl delete configmap -A
    // -l weft.dev/trust-bundle=true` removes them; docs/cluster.md says so.
    const namespaced = await kubectlJson<{
      items: {
        kind: string;
        metadata: { name: string; namespace: string; labels?: Record<string, string> };
      }[];
    }>(kc, [
      'get',
      'all,configmaps,secrets,serviceaccounts,roles,rolebindings',
      '-A',
      '-l',
      'app.kubernetes.io/part-of=weft',
    ]);
    const left = namespaced.items.filter(
      (i) => i.metadata.labels?.['weft.dev/trust-bundle'] !== 'true',
    );
    assert.deepEqual(
      left.map((i) => `${i.kind}/${i.metadata.namespace}/${i.metadata.name}`),
      [],
    );
  });
});

function assertInjected(pod: V1Pod): void {
  const name = pod.metadata?.name;
  const inits = pod.spec?.initContainers ?? [];
  assert.deepEqual(
    inits.map((c) => c.name),
    ['weft-init', 'weft-proxy'],
    `${name} init containers`,
  );
  assert.equal(inits[1]?.restartPolicy, 'Always', `${name}: weft-proxy is a native sidecar`);
  const probe = pod.spec?.containers?.find((c) => c.name === 'app')?.readinessProbe;
  assert.equal(probe?.httpGet?.port, 15020, `${name}: the app's probe goes through weft-proxy`);
}

function containerStatus(pod: V1Pod, name: string): V1ContainerStatus {
  const all = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  const found = all.find((s) => s.name === name);
  assert.ok(found, `${pod.metadata?.name}: no status for ${name}`);
  return found;
}

const startedAt = (s: V1ContainerStatus): number =>
  new Date(s.state?.running?.startedAt ?? 0).getTime();

function assertInjectedAndStarted(pod: V1Pod): void {
  assertInjected(pod);
  const name = pod.metadata?.name;
  const init = containerStatus(pod, 'weft-init');
  assert.equal(init.state?.terminated?.exitCode, 0, `${name}: weft-init ran to completion`);
  const proxy = containerStatus(pod, 'weft-proxy');
  assert.equal(proxy.ready, true, `${name}: weft-proxy Ready`);
  const app = containerStatus(pod, 'app');
  assert.equal(app.ready, true, `${name}: app Ready (its rewritten probes pass)`);
  assert.ok(startedAt(proxy) <= startedAt(app), `${name}: weft-proxy started before the app`);
}
