// kubectl weft through the real kubectl, against the real control plane, with pods
// injected by the real webhook and certificates issued by the real CA through both
// paths. Each finding is created and seen, then removed and seen to go.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import {
  createNamespace,
  createToken,
  eventually,
  serviceAccountKubeconfig,
} from '../support/cluster.js';
import { makeCsr } from '../support/csr.js';
import { matchGolden } from '../support/golden.js';
import { request } from '../support/https.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';
import { installManifests } from '../support/weft-ca.js';
import { startLocalControlPlane } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';

/** Serials and times vary per run; keep their width so tables stay aligned. */
const normalise = (text: string): string =>
  text
    .replace(/\b[0-9a-f]{20,40}\b/g, (m) => '<serial>'.padEnd(m.length))
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, (m) => '<time>'.padEnd(m.length));

interface Finding {
  code: string;
  severity: string;
  namespace: string;
  object: string;
}

describe('kubectl weft', () => {
  let cp: ControlPlane;
  let weft: WeftProcess;
  let caPort: number;
  const env = pluginEnv();
  const core = (): CoreV1Api => cp.kubeConfig.makeApiClient(CoreV1Api);
  const plugin = (args: string[], kubeconfig = cp.kubeconfigPath) =>
    kubectl(kubeconfig, ['weft', ...args], env);

  async function createPod(
    ns: string,
    name: string,
    sa: string,
    labels: Record<string, string> = {},
  ): Promise<V1Pod> {
    const body: V1Pod = {
      metadata: { name, labels },
      spec: {
        serviceAccountName: sa,
        containers: [{ name: 'app', image: 'example.invalid/app:1' }],
      },
    };
    return core().createNamespacedPod({ namespace: ns, body });
  }

  async function deletePod(ns: string, name: string): Promise<void> {
    await core().deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
    await eventually(`pod ${name} gone`, async () =>
      (await core().listNamespacedPod({ namespace: ns })).items.some(
        (p) => p.metadata?.name === name,
      )
        ? undefined
        : true,
    );
  }

  async function issue(
    ns: string,
    sa: string,
    opts: { pod?: string; ttl?: number } = {},
  ): Promise<string> {
    const tok = await createToken(cp, ns, sa, opts.pod ? { pod: opts.pod } : {});
    const roots = (
      await core().readNamespacedConfigMap({ namespace: 'weft-system', name: 'weft-trust-bundle' })
    ).data!['roots.pem']!;
    const res = await request(`https://127.0.0.1:${caPort}/v1/certificates`, {
      ca: roots,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify({
        csr: (await makeCsr()).pem,
        ...(opts.ttl ? { ttlSeconds: opts.ttl } : {}),
      }),
    });
    assert.equal(res.status, 201, res.body);
    const serial = res.json<{ serial: string }>().serial;
    // Records are written behind the issuance, and each look is a plugin process (a
    // second or more on a busy machine): 20 s was a handful of looks under CI's load.
    await eventually(
      'the issuance record',
      async () => {
        const r = await plugin(['identities', '-n', ns, '-o', 'json']);
        return r.stdout.includes(serial) ? true : undefined;
      },
      60_000,
    );
    return serial;
  }

  async function findings(args: string[] = ['-A']): Promise<Finding[]> {
    const r = await plugin(['audit', ...args, '-o', 'json', '--fail-on', 'none']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
  }
  const has = (fs: Finding[], code: string, object?: string): boolean =>
    fs.some((f) => f.code === code && (object === undefined || f.object === object));

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    ({ weft, caPort } = await startLocalControlPlane(cp.kubeconfigPath));
    await createNamespace(cp.kubeConfig, 'shop', { 'weft.dev/inject': 'enabled' });
    for (const sa of ['cart', 'reports']) {
      await core().createNamespacedServiceAccount({
        namespace: 'shop',
        body: { metadata: { name: sa } },
      });
    }
    await eventually('an injected pod', async () => {
      const p = await createPod('shop', 'cart-1', 'cart', { app: 'cart' }).catch(() => undefined);
      if (p?.spec?.initContainers?.some((c) => c.name === 'weft-proxy')) return true;
      if (p) await deletePod('shop', 'cart-1');
      return undefined;
    });
    await eventually('the trust bundle in shop', () =>
      core().readNamespacedConfigMap({ namespace: 'shop', name: 'weft-trust-bundle' }),
    );
    await issue('shop', 'cart', { pod: 'cart-1' });
    // The CSR API path: the `reports` ServiceAccount asks for its own identity.
    await kubectl(cp.kubeconfigPath, [
      'create',
      'clusterrolebinding',
      'shop-csr',
      '--clusterrole=system:node-bootstrapper',
      '--group=system:serviceaccounts:shop',
    ]);
    const saConfig = await serviceAccountKubeconfig(cp, 'shop', 'reports');
    const csr = await makeCsr({ uris: ['spiffe://cluster.local/ns/shop/sa/reports'] });
    const file = path.join(cp.dir, 'reports-csr.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'reports' },
        spec: {
          signerName: 'weft.dev/workload',
          request: Buffer.from(csr.pem).toString('base64'),
          usages: ['digital signature', 'client auth'],
        },
      }),
    );
    assert.equal((await kubectl(saConfig, ['create', '-f', file])).code, 0);
    await eventually('the CSR record', async () =>
      (await plugin(['identities', '-n', 'shop', '-o', 'json'])).stdout.includes('csr-api')
        ? true
        : undefined,
    );
  });
  after(async () => {
    if (weft?.child.exitCode === null) await weft.signal('SIGTERM');
    await cp?.stop();
  });

  it('identities: one row per identity, with pods, injection, certificate and path (golden)', async () => {
    const r = await plugin(['identities', '-n', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    const normalised = normalise(r.stdout);
    matchGolden('plugin/identities-shop.txt', normalised);
    const wide = await plugin(['identities', '-n', 'shop', '-o', 'wide']);
    assert.match(wide.stdout, /POD NAMES/);
    assert.match(wide.stdout, /cart-1/);
    const json = JSON.parse((await plugin(['identities', '-n', 'shop', '-o', 'json'])).stdout) as {
      items: { spiffeId: string; certificate?: { path: string } }[];
    };
    const paths = Object.fromEntries(json.items.map((i) => [i.spiffeId, i.certificate?.path]));
    assert.deepEqual(paths, {
      'spiffe://cluster.local/ns/shop/sa/cart': 'sidecar',
      'spiffe://cluster.local/ns/shop/sa/reports': 'csr-api',
    });
    const yaml = await plugin(['identities', '-n', 'shop', '-o', 'yaml']);
    assert.match(yaml.stdout, /kind: IdentityList/);
  });

  it('audit: stable JSON (golden) and exit codes that gate on --fail-on', async () => {
    const r = await plugin(['audit', '-n', 'shop', '-o', 'json', '--fail-on', 'none']);
    matchGolden('plugin/audit-shop.json', normalise(r.stdout));
    await createNamespace(cp.kubeConfig, 'late');
    await createPod('late', 'old', 'default');
    await kubectl(cp.kubeconfigPath, ['label', 'namespace', 'late', 'weft.dev/inject=enabled']);
    assert.equal((await plugin(['audit', '-A', '--fail-on', 'high'])).code, 1);
    assert.equal((await plugin(['audit', '-A', '--fail-on', 'critical'])).code, 0);
    assert.equal((await plugin(['audit', '-A', '--fail-on', 'none'])).code, 0);
    const table = await plugin(['audit', '-A']);
    assert.match(table.stdout, /^SEVERITY\s+CODE\s+NAMESPACE\s+OBJECT\s+MESSAGE/);
    assert.ok(!table.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
  });

  describe('each finding appears with its condition and goes with it', () => {
    it('uninjected-pod', async () => {
      assert.ok(has(await findings(['-n', 'late']), 'uninjected-pod', 'pod/old'));
      await deletePod('late', 'old');
      assert.ok(!has(await findings(['-n', 'late']), 'uninjected-pod'));
    });

    it('default-service-account', async () => {
      await createPod('shop', 'uses-default', 'default');
      assert.ok(has(await findings(['-n', 'shop']), 'default-service-account', 'pod/uses-default'));
      await deletePod('shop', 'uses-default');
      assert.ok(!has(await findings(['-n', 'shop']), 'default-service-account'));
    });

    it('shared-service-account', async () => {
      await createPod('shop', 'admin-tool', 'cart', { app: 'admin' });
      assert.ok(
        has(await findings(['-n', 'shop']), 'shared-service-account', 'serviceaccount/cart'),
      );
      await deletePod('shop', 'admin-tool');
      assert.ok(!has(await findings(['-n', 'shop']), 'shared-service-account'));
    });

    it('certificate-expiring and certificate-expired', async () => {
      await issue('shop', 'cart', { pod: 'cart-1', ttl: 600 });
      assert.ok(
        has(
          await findings(['-n', 'shop', '--expiring-within', '1h']),
          'certificate-expiring',
          'serviceaccount/cart',
        ),
      );
      await issue('shop', 'cart', { pod: 'cart-1', ttl: 1 });
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(has(await findings(['-n', 'shop']), 'certificate-expired', 'serviceaccount/cart'));
      await issue('shop', 'cart', { pod: 'cart-1' });
      const now = await findings(['-n', 'shop', '--expiring-within', '1h']);
      assert.ok(!has(now, 'certificate-expired') && !has(now, 'certificate-expiring'));
    });

    it('orphan-certificate', async () => {
      assert.ok(
        has(await findings(['-n', 'shop']), 'orphan-certificate', 'serviceaccount/reports'),
      );
      await createPod('shop', 'reports-1', 'reports', { app: 'reports' });
      assert.ok(!has(await findings(['-n', 'shop']), 'orphan-certificate'));
    });

    it('capture-disabled and capture-bypassed, on pods the real webhook injected', async () => {
      // A namespace whose admin-set policy lets pod authors override capture at all.
      await core().createNamespace({
        body: {
          metadata: {
            name: 'legacy',
            labels: { 'weft.dev/inject': 'enabled' },
            annotations: { 'weft.dev/capture-overrides': 'any' },
          },
        },
      });
      await core().createNamespacedServiceAccount({
        namespace: 'legacy',
        body: { metadata: { name: 'old' } },
      });
      const annotated = (name: string, annotations: Record<string, string>): Promise<V1Pod> =>
        core().createNamespacedPod({
          namespace: 'legacy',
          body: {
            metadata: { name, labels: { app: 'old' }, annotations },
            spec: {
              serviceAccountName: 'old',
              containers: [{ name: 'app', image: 'example.invalid/app:1' }],
            },
          },
        });
      // The review's two annotations: injected, yet nothing is captured.
      const off = await annotated('off', {
        'weft.dev/include-inbound-ports': '',
        'weft.dev/exclude-outbound-cidrs': '0.0.0.0/0,::/0',
      });
      assert.ok(
        off.spec?.initContainers?.some((c) => c.name === 'weft-init'),
        'injected',
      );
      await annotated('only-443', { 'weft.dev/include-outbound-ports': '443' });
      const fs = await findings(['-n', 'legacy']);
      const of = (object: string): [string, string][] =>
        fs.filter((f) => f.object === object).map((f) => [f.code, f.severity]);
      assert.deepEqual(of('pod/off'), [['capture-disabled', 'high']]);
      assert.deepEqual(of('pod/only-443'), [['capture-bypassed', 'high']]);
      const gate = await plugin(['audit', '-n', 'legacy', '--fail-on', 'high']);
      assert.equal(gate.code, 1);
      assert.match(gate.stdout, /capture-disabled .*no inbound port is captured/);
      await deletePod('legacy', 'off');
      await deletePod('legacy', 'only-443');
      const after = await findings(['-n', 'legacy']);
      assert.ok(!has(after, 'capture-disabled') && !has(after, 'capture-bypassed'));
      // Leave the mesh as the other checks count it (no namespace controller runs here to delete it).
      await kubectl(cp.kubeconfigPath, ['label', 'namespace', 'legacy', 'weft.dev/inject-']);
    });

    it('trust-bundle-stale and trust-bundle-missing', async () => {
      const original = await core().readNamespacedConfigMap({
        namespace: 'shop',
        name: 'weft-trust-bundle',
      });
      const restore = async (): Promise<void> => {
        const { metadata, data } = original;
        await core()
          .createNamespacedConfigMap({
            namespace: 'shop',
            body: { metadata: { name: metadata!.name, labels: metadata!.labels }, data },
          })
          .catch(async () => {
            const cur = await core().readNamespacedConfigMap({
              namespace: 'shop',
              name: 'weft-trust-bundle',
            });
            await core().replaceNamespacedConfigMap({
              namespace: 'shop',
              name: 'weft-trust-bundle',
              body: { ...cur, data },
            });
          });
      };
      await core().replaceNamespacedConfigMap({
        namespace: 'shop',
        name: 'weft-trust-bundle',
        body: { ...original, data: { 'roots.pem': 'stale\n' } },
      });
      assert.ok(has(await findings(['-n', 'shop']), 'trust-bundle-stale'));
      const check = await plugin(['check']);
      assert.equal(check.code, 1);
      assert.match(check.stdout, /✗ trust bundles: missing or stale in shop/);
      await restore();
      assert.ok(!has(await findings(['-n', 'shop']), 'trust-bundle-stale'));
      await core().deleteNamespacedConfigMap({ namespace: 'shop', name: 'weft-trust-bundle' });
      assert.ok(has(await findings(['-n', 'shop']), 'trust-bundle-missing'));
      await restore();
      assert.ok(!has(await findings(['-n', 'shop']), 'trust-bundle-missing'));
    });
  });

  it('cert POD: the chain, readable, verified against the namespace bundle', async () => {
    const r = await plugin(['cert', 'cart-1', '-n', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /spiffeId\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart/);
    assert.match(r.stdout, /keyType\s+ECDSA P-256/);
    assert.match(r.stdout, /Verifies against weft-trust-bundle: yes \(root CN=weft root CA/);
    const json = JSON.parse(
      (await plugin(['cert', 'cart-1', '-n', 'shop', '-o', 'json'])).stdout,
    ) as {
      verifies: boolean;
      chain: { spiffeId: string; issuer: string }[];
    };
    assert.equal(json.verifies, true);
    assert.equal(json.chain.length, 2);
    assert.match(json.chain[1]!.issuer, /weft root CA/);
  });

  it('check: every part of the installation', async () => {
    const r = await plugin(['check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const line of [
      /✓ CRDs: workloadidentities.weft.dev established/,
      /✓ control plane: runs outside the cluster/,
      /✓ root validity: .* \(3\d{3} days\)/,
      /✓ intermediate validity: .* \(3\d\d days\)/,
      /✓ webhook configuration: https:\/\/127\.0\.0\.1:\d+\/inject: serving certificate verifies against caBundle/,
      /✓ trust bundles: current in 2 injection-enabled namespace/,
      /✓ versions: kubectl-weft \d+\.\d+\.\d+; Kubernetes v1\.34\.\d+; injected pods: \d+\.\d+\.\d+/,
    ]) {
      assert.match(r.stdout, line);
    }
  });

  describe('bad input: one line on stderr, a distinct exit code, no stack trace', () => {
    const oneLine = (stderr: string): void => {
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.doesNotMatch(stderr, /\n\s+at /);
    };

    it('an unreachable cluster exits 3', async () => {
      const dead = path.join(cp.dir, 'dead.kubeconfig');
      writeKubeconfig(dead, { server: 'https://127.0.0.1:1', caCert: cp.caCert, token: 'x' });
      const r = await plugin(['identities', '-A'], dead);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /cannot reach the cluster at https:\/\/127\.0\.0\.1:1/);
      oneLine(r.stderr);
    });

    it('a missing context exits 5', async () => {
      const r = await plugin(['audit', '--context', 'nope']);
      assert.equal(r.code, 5);
      assert.match(r.stderr, /context "nope" not found/);
      oneLine(r.stderr);
    });

    it('RBAC that forbids a read exits 4', async () => {
      const nobody = await serviceAccountKubeconfig(cp, 'shop', 'reports');
      const r = await plugin(['identities', '-A'], nobody);
      assert.equal(r.code, 4);
      assert.match(r.stderr, /^kubectl weft: forbidden: /);
      oneLine(r.stderr);
    });

    it('an unknown pod or namespace exits 5', async () => {
      const pod = await plugin(['cert', 'ghost', '-n', 'shop']);
      assert.equal(pod.code, 5);
      assert.match(pod.stderr, /not found: pods "ghost" not found/);
      oneLine(pod.stderr);
      const ns = await plugin(['identities', '-n', 'nowhere']);
      assert.equal(ns.code, 5);
      oneLine(ns.stderr);
    });

    it('a namespace without weft exits 6', async () => {
      for (const cmd of ['identities', 'audit']) {
        const r = await plugin([cmd, '-n', 'default']);
        assert.equal(r.code, 6, `${cmd}: ${r.stderr}`);
        assert.match(
          r.stderr,
          /namespace default has no weft: not labelled weft.dev\/inject=enabled/,
        );
        oneLine(r.stderr);
      }
    });

    it('bad flags exit 2', async () => {
      for (const args of [
        ['identities', '-o', 'xml'],
        ['audit', '--fail-on', 'scary'],
        ['check', '--bogus'],
        ['cert'],
      ]) {
        const r = await plugin(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        oneLine(r.stderr);
      }
    });

    it('--help works on every command', async () => {
      for (const cmd of ['identities', 'audit', 'cert', 'check', 'inject', 'version']) {
        const r = await plugin([cmd, '--help']);
        assert.equal(r.code, 0, cmd);
        assert.match(r.stdout, cmd === 'version' ? /kubectl weft/ : /^Usage: kubectl weft /, cmd);
      }
    });
  });
});
