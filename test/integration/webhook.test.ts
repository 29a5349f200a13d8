// The injector against a real kube-apiserver: `weft control-plane --register` run
// as a real process, pods created through the API, and the stored pods inspected.
// Bad HTTP input is sent straight to a webhook running in-process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { WebhookConfigSchema } from '../../webhook/config.js';
import { localServingTls } from '../../webhook/local-tls.js';
import { startWebhook } from '../../webhook/main.js';
import type { RunningWebhook } from '../../webhook/main.js';
import { webhookConfiguration } from '../../webhook/registration.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import {
  createNamespace,
  eventually,
  serviceAccountKubeconfig,
  uniqueName,
} from '../support/cluster.js';
import { request } from '../support/https.js';
import { LARGE_PODS, TWO_MB } from '../support/large-pods.js';
import { kubectl } from '../support/kubectl.js';
import { installManifests } from '../support/weft-ca.js';
import { startLocalControlPlane, startWeft } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';

const pod = (name: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, ...extra },
  spec: {
    containers: [{ name: 'app', image: 'example.invalid/app:1', ports: [{ containerPort: 8080 }] }],
  },
});

const names = (p: V1Pod): { init: string[]; containers: string[] } => ({
  init: (p.spec?.initContainers ?? []).map((c) => c.name),
  containers: (p.spec?.containers ?? []).map((c) => c.name),
});

describe('injection through the real API server', () => {
  let cp: ControlPlane;
  let weft: WeftProcess;
  const meshed = uniqueName('meshed');
  const plain = uniqueName('plain');
  const core = (): CoreV1Api => cp.kubeConfig.makeApiClient(CoreV1Api);

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    await createNamespace(cp.kubeConfig, meshed, { 'weft.dev/inject': 'enabled' });
    await createNamespace(cp.kubeConfig, plain);
    await core().createNamespacedServiceAccount({
      namespace: 'kube-system',
      body: { metadata: { name: 'default' } },
    });
    // The one command that brings weft up against a cluster from outside it.
    ({ weft } = await startLocalControlPlane(cp.kubeconfigPath));
  });
  after(async () => {
    if (weft.child.exitCode === null) await weft.signal('SIGKILL');
    await cp?.stop();
  });

  /** A new configuration takes a moment to reach the admission chain: retry the first create. */
  async function createInjected(ns: string, body: V1Pod): Promise<V1Pod> {
    let n = 0;
    return eventually('an injected pod', async () => {
      const p = await core().createNamespacedPod({
        namespace: ns,
        body: { ...body, metadata: { ...body.metadata, name: `${body.metadata!.name}-${n++}` } },
      });
      return names(p).init.includes('weft-proxy') ? p : undefined;
    });
  }

  it('injects a pod in a labelled namespace, as stored by the API server', async () => {
    const created = await createInjected(meshed, pod('web'));
    const stored = await core().readNamespacedPod({
      namespace: meshed,
      name: created.metadata!.name!,
    });
    assert.deepEqual(names(stored), { init: ['weft-init', 'weft-proxy'], containers: ['app'] });
    const proxy = stored.spec!.initContainers![1]!;
    assert.equal(proxy.restartPolicy, 'Always', 'native sidecar on a 1.34 API server');
    assert.equal(proxy.securityContext?.runAsUser, 1337);
    const token = stored.spec!.volumes!.find((v) => v.name === 'weft-token')!;
    assert.equal(token.projected!.sources![0]!.serviceAccountToken!.audience, 'weft-ca');
    const status = JSON.parse(stored.metadata!.annotations!['weft.dev/status']!) as {
      native: boolean;
    };
    assert.equal(status.native, true);
    assert.equal(stored.metadata!.annotations!['kubectl.kubernetes.io/default-container'], 'app');
  });

  const untouched: [string, () => string, Partial<V1Pod['metadata']>][] = [
    ['an unlabelled namespace', () => plain, {}],
    [
      'kube-system, even when the pod asks',
      () => 'kube-system',
      { labels: { 'weft.dev/inject': 'true' } },
    ],
    ['a pod with the opt-out label', () => meshed, { labels: { 'weft.dev/inject': 'false' } }],
  ];
  for (const [what, ns, meta] of untouched) {
    it(`leaves a pod in ${what} untouched`, async () => {
      await createInjected(meshed, pod('warm')); // the webhook is live
      const p = await core().createNamespacedPod({
        namespace: ns(),
        body: pod(uniqueName('p'), meta),
      });
      assert.deepEqual(names(p), { init: [], containers: ['app'] });
      assert.equal(p.metadata?.annotations?.['weft.dev/status'], undefined);
    });
  }

  it('injects a pod that opts in from an unlabelled namespace', async () => {
    const p = await createInjected(plain, pod('canary', { labels: { 'weft.dev/inject': 'true' } }));
    assert.deepEqual(names(p).init, ['weft-init', 'weft-proxy']);
  });

  it('refuses a pod with an invalid annotation, naming it', async () => {
    await createInjected(meshed, pod('warm'));
    const body = pod('typo', { annotations: { 'weft.dev/exclude-inbound-ports': 'http' } });
    const res = await kubectl(
      cp.kubeconfigPath,
      ['create', '-n', meshed, '-f', '-', '-o', 'name'],
      undefined,
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...body }),
    );
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /weft\.dev\/exclude-inbound-ports="http": "http" is not a port/);
  });

  /** kubectl create through the API server; the webhook's refusal is in stderr. */
  const createVia = (ns: string, body: V1Pod) =>
    kubectl(
      cp.kubeconfigPath,
      ['create', '-n', ns, '-f', '-', '-o', 'json'],
      undefined,
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...body }),
    );

  const captureOff: [string, Record<string, string>, RegExp][] = [
    [
      'switches inbound capture off',
      { 'weft.dev/include-inbound-ports': '' },
      /admission webhook .* denied the request: weft: annotation weft\.dev\/include-inbound-ports="": no inbound port is captured; forbidden by capture policy "narrow" \(the installation's --capture-overrides\)/,
    ],
    [
      'excludes the whole address space from outbound capture',
      { 'weft.dev/exclude-outbound-cidrs': '0.0.0.0/0,::/0' },
      /annotation weft\.dev\/exclude-outbound-cidrs="0\.0\.0\.0\/0,::\/0": 0\.0\.0\.0\/0 excluded from outbound capture: the whole address family; forbidden by capture policy "narrow"/,
    ],
    [
      'names its own proxy image (which once ran weft-init as root with NET_ADMIN)',
      { 'weft.dev/proxy-image': 'registry.example.invalid/anything:1' },
      /annotation weft\.dev\/proxy-image="registry\.example\.invalid\/anything:1": not an image the installation allows \(--allow-proxy-image: none\)/,
    ],
    [
      'carries a forged weft.dev/status',
      {
        'weft.dev/status': JSON.stringify({
          version: '0',
          initContainers: [],
          containers: [],
          volumes: ['data'],
          annotations: [],
          native: true,
        }),
      },
      /annotation weft\.dev\/status is not weft's: volumes may only name weft-token, weft-trust-bundle, weft-runtime/,
    ],
  ];
  for (const [what, annotations, message] of captureOff) {
    it(`refuses a pod that ${what}, naming the annotation and why`, async () => {
      await createInjected(meshed, pod('warm'));
      const res = await createVia(meshed, pod(uniqueName('p'), { annotations }));
      assert.notEqual(res.code, 0, 'the API server stored the pod');
      assert.match(res.stderr, message);
    });
  }

  it('allows capture overrides where a namespace’s admin-set policy says so', async () => {
    const legacy = uniqueName('legacy');
    await core().createNamespace({
      body: {
        metadata: {
          name: legacy,
          labels: { 'weft.dev/inject': 'enabled' },
          annotations: { 'weft.dev/capture-overrides': 'any' },
        },
      },
    });
    await core().createNamespacedServiceAccount({
      namespace: legacy,
      body: { metadata: { name: 'default' } },
    });
    const annotations = { 'weft.dev/exclude-outbound-cidrs': '0.0.0.0/0,::/0' };
    const p = await createInjected(legacy, pod('old', { annotations }));
    const init = p.spec!.initContainers!.find((c) => c.name === 'weft-init')!;
    assert.ok(init.args!.includes('--exclude-outbound-cidrs=0.0.0.0/0,::/0'));
    // And weft-init still runs the installation's image, whatever the pod says.
    assert.equal(init.image, p.spec!.initContainers!.find((c) => c.name === 'weft-proxy')!.image);
  });

  it('shows the injected pod on a server-side dry run', async () => {
    await createInjected(meshed, pod('warm'));
    const res = await kubectl(
      cp.kubeconfigPath,
      ['create', '--dry-run=server', '-n', meshed, '-f', '-', '-o', 'yaml'],
      undefined,
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...pod('dry') }),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /name: weft-proxy/);
  });

  it('ships the configuration that --register writes, with a Service client config', () => {
    const shipped = parseAllDocuments(readFileSync('manifests/30-webhook.yaml', 'utf8'))
      .map((d) => d.toJS() as { kind: string })
      .find((d) => d.kind === 'MutatingWebhookConfiguration');
    const expected = webhookConfiguration({
      service: { name: 'weft-webhook', namespace: 'weft-system', path: '/inject', port: 443 },
    });
    assert.deepEqual(shipped, expected);
  });

  it('removes its configuration on SIGTERM and exits cleanly', async () => {
    const code = await weft.signal('SIGTERM');
    assert.equal(code, 0);
    const api = cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const list = await api.listMutatingWebhookConfiguration();
    assert.equal(
      list.items.some((w) => w.metadata?.name === 'weft-injector'),
      false,
    );
  });

  for (const policy of ['Fail', 'Ignore'] as const) {
    it(`with the webhook down, failurePolicy ${policy} ${policy === 'Fail' ? 'refuses' : 'admits uninjected'} pods`, async () => {
      const down = startWeft([
        'webhook',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--register',
        'true',
        '--failure-policy',
        policy,
        '--listen',
        '127.0.0.1:0',
      ]);
      await down.waitFor(/registered webhook configuration/);
      await createInjected(meshed, pod('warm'));
      await down.signal('SIGKILL'); // no clean shutdown: the configuration stays
      const body = { apiVersion: 'v1', kind: 'Pod', ...pod(uniqueName('during-outage')) };
      const res = await kubectl(
        cp.kubeconfigPath,
        ['create', '-n', meshed, '-f', '-', '-o', 'json'],
        undefined,
        JSON.stringify(body),
      );
      if (policy === 'Fail') {
        assert.notEqual(res.code, 0);
        assert.match(res.stderr, /failed calling webhook "namespace\.inject\.weft\.dev"/);
      } else {
        assert.equal(res.code, 0, res.stderr);
        assert.deepEqual(names(JSON.parse(res.stdout) as V1Pod).init, []);
      }
      await kubectl(cp.kubeconfigPath, ['delete', 'mutatingwebhookconfiguration', 'weft-injector']);
    });
  }
});

describe('webhook HTTP surface (bad input)', () => {
  let cp: ControlPlane;
  let hook: RunningWebhook;
  let ca: string;
  before(async () => {
    cp = await startControlPlane();
    const tls = await localServingTls(['localhost'], ['127.0.0.1']);
    ca = tls.caPem;
    const config = WebhookConfigSchema.parse({
      kubeconfig: cp.kubeconfigPath,
      listen: '127.0.0.1:0',
    });
    hook = await startWebhook(
      config,
      tls,
      createRegistry('webhook'),
      createLogger({}, 'error', () => undefined),
    );
  });
  after(async () => {
    await hook?.stop();
    await cp?.stop();
  });

  const post = (body: string) =>
    request(`https://127.0.0.1:${hook.port}/inject`, {
      ca,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('answers 400 to a body that is not JSON', async () => {
    const r = await post('{not json');
    assert.equal(r.status, 400);
    assert.match(r.body, /not valid JSON/);
  });

  it('answers 400 to JSON that is not an AdmissionReview v1', async () => {
    const r = await post(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: {},
      }),
    );
    assert.equal(r.status, 400);
    assert.match(r.body, /expected apiVersion admission.k8s.io\/v1/);
  });

  it('answers 413 to a body over the size limit, and keeps serving', async () => {
    const r = await post(JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024) }));
    assert.equal(r.status, 413);
    assert.match(r.body, /too large/);
    assert.equal((await request(`https://127.0.0.1:${hook.port}/healthz`, { ca })).status, 200);
  });

  it('answers 2 MB pods within the time budget (a forged status in under 1 s), /healthz meanwhile', async () => {
    const review = (object: unknown, uid: string): string =>
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid,
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          namespace: 'default',
          object,
        },
      });
    // The pod label opts in, so the review reaches strip() as the reported one did.
    const optIn = (p: V1Pod): V1Pod => ({
      ...p,
      metadata: { ...p.metadata, labels: { 'weft.dev/inject': 'true' } },
    });
    const bodies = Object.entries(LARGE_PODS).map(
      ([shape, make]) => [shape, review(optIn(make(TWO_MB)), shape)] as const,
    );
    type Review = { response: { allowed: boolean; status?: { message: string } } };
    /** Posts `body` while /healthz is polled: both latencies, and the response. */
    async function admitTimed(body: string) {
      let polling = true;
      let healthz = 0;
      const poll = (async () => {
        while (polling) {
          const start = performance.now();
          const h = await request(`https://127.0.0.1:${hook.port}/healthz`, { ca });
          assert.equal(h.status, 200);
          healthz = Math.max(healthz, performance.now() - start);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const start = performance.now();
      const r = await post(body).finally(() => (polling = false));
      const ms = performance.now() - start;
      await poll;
      assert.equal(r.status, 200);
      return { ms, healthz, response: r.json<Review>().response };
    }
    // The review's shape: refused by name, in well under a second, /healthz answering.
    const f = await admitTimed(bodies[0]![1]);
    assert.equal(f.response.allowed, false);
    assert.match(
      f.response.status!.message,
      /weft\.dev\/status is \d+ bytes, over the 2048-byte limit/,
    );
    assert.ok(f.ms < 1000, `forged status: answered in ${f.ms.toFixed(0)} ms`);
    assert.ok(f.healthz < 1000, `/healthz took ${f.healthz.toFixed(0)} ms`);
    // Honest 2 MB pods change in proportion to their size (a patch of about that size
    // goes back): inside half the registration's 5 s timeoutSeconds, /healthz within 2 s.
    for (const [shape, body] of bodies.slice(1)) {
      const h = await admitTimed(body);
      assert.equal(h.response.allowed, true, shape);
      assert.ok(h.ms < 2500, `${shape}: answered in ${h.ms.toFixed(0)} ms`);
      assert.ok(h.healthz < 2000, `${shape}: /healthz took ${h.healthz.toFixed(0)} ms`);
    }
  });

  it('reads an unknown namespace from the API server once, however many reviews name it', async () => {
    const gets = async (): Promise<number> => {
      const m = await kubectl(cp.kubeconfigPath, ['get', '--raw', '/metrics']);
      return m.stdout
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('apiserver_request_total{') &&
            /resource="namespaces"/.test(l) &&
            /verb="GET"/.test(l) &&
            /subresource=""/.test(l),
        )
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    const ghost = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'ghost',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: uniqueName('no-such-namespace'),
        object: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
      },
    });
    const before = await gets();
    for (let i = 0; i < 50; i++) assert.equal((await post(ghost)).status, 200);
    const spent = (await gets()) - before;
    // One for the name; a little slack for the API server's own namespace reads.
    assert.ok(spent >= 1 && spent <= 3, `${spent} namespace GETs for 50 reviews`);
  });

  it('allows a valid review of a non-Pod unchanged', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u-1',
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        operation: 'CREATE',
        namespace: 'default',
        object: { metadata: { name: 'c' } },
      },
    };
    const r = await post(JSON.stringify(review));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
  });

  it('serves /readyz and /metrics with admission counts', async () => {
    assert.equal((await request(`https://127.0.0.1:${hook.port}/readyz`, { ca })).status, 200);
    const m = await request(`https://127.0.0.1:${hook.port}/metrics`, { ca });
    assert.match(
      m.body,
      /weft_webhook_admissions_total\{result="not-a-pod",component="webhook"\} 1/,
    );
    assert.match(m.body, /weft_webhook_bad_requests_total\{component="webhook"\} 1/);
  });
});

describe('in-cluster mode (no --register), as its own ServiceAccount', () => {
  let cp: ControlPlane;
  let weft: WeftProcess;
  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    const kubeconfig = await serviceAccountKubeconfig(cp, 'weft-system', 'weft-control-plane');
    weft = startWeft([
      'control-plane',
      '--kubeconfig',
      kubeconfig,
      '--ca-listen',
      '127.0.0.1:0',
      '--webhook-listen',
      '127.0.0.1:0',
    ]);
    await weft.waitFor(/webhook ready/);
  });
  after(async () => {
    if (weft.child.exitCode === null) await weft.signal('SIGTERM');
    await cp?.stop();
  });

  it('fills the shipped configuration’s caBundle with weft’s roots, within its RBAC', async () => {
    const api = cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const roots = await eventually('the CA secret', async () => {
      const s = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ namespace: 'weft-system', name: 'weft-ca' });
      return s.data?.['roots.pem'];
    });
    const config = await eventually('a caBundle', async () => {
      const c = await api.readMutatingWebhookConfiguration({ name: 'weft-injector' });
      return c.webhooks?.every((w) => w.clientConfig.caBundle) ? c : undefined;
    });
    for (const w of config.webhooks!) {
      assert.equal(w.clientConfig.caBundle, roots);
      assert.equal(
        w.clientConfig.service?.name,
        'weft-webhook',
        'the Service client config is kept',
      );
    }
    assert.deepEqual(
      weft.output.filter((l) => /forbidden/i.test(l)),
      [],
    );
  });
});
