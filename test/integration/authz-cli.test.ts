// kubectl weft authz, through the real kubectl against the real API server: the
// policies, the Service, its EndpointSlice and pods are real objects, and the
// decision is the sidecar's own evaluate() on what the plugin read.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, uniqueName } from '../support/cluster.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';

const CRD = path.resolve(
  import.meta.dirname,
  '../../../manifests/crds/authorizationpolicies.weft.dev.yaml',
);

describe('kubectl weft authz (real kube-apiserver)', () => {
  let cp: ControlPlane;
  const ns = uniqueName('authz-cli');
  const env = pluginEnv();
  const plugin = (args: string[]) => kubectl(cp.kubeconfigPath, ['weft', 'authz', ...args], env);

  const policy = (name: string, spec: unknown) =>
    kubectl(
      cp.kubeconfigPath,
      ['apply', '-f', '-'],
      process.env,
      stringify({
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'AuthorizationPolicy',
        metadata: { name, namespace: ns },
        spec,
      }),
    );

  before(async () => {
    cp = await startControlPlane();
    assert.equal((await kubectl(cp.kubeconfigPath, ['apply', '-f', CRD])).code, 0);
    await kubectl(cp.kubeconfigPath, [
      'wait',
      '--for=condition=Established',
      'crd/authorizationpolicies.weft.dev',
      '--timeout=60s',
    ]);
    await createNamespace(cp.kubeConfig, ns);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    for (const sa of ['curl', 'httpbin', 'admin']) {
      await core.createNamespacedServiceAccount({
        namespace: ns,
        body: { metadata: { name: sa } },
      });
    }
    const pod = (name: string, sa: string, labels: Record<string, string>) =>
      core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels },
          spec: {
            serviceAccountName: sa,
            containers: [{ name: 'app', image: 'example.invalid/app:1' }],
          },
        },
      });
    await pod('httpbin-1', 'httpbin', { app: 'httpbin', version: 'v1' });
    await pod('curl-1', 'curl', { app: 'curl' });
    await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'httpbin' },
        spec: {
          selector: { app: 'httpbin' },
          ports: [{ name: 'http', port: 8000, targetPort: 80 }],
        },
      },
    });
    await cp.kubeConfig.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: ns,
      body: {
        metadata: { name: 'httpbin-x', labels: { 'kubernetes.io/service-name': 'httpbin' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        endpoints: [
          {
            addresses: ['198.51.100.10'],
            targetRef: { kind: 'Pod', name: 'httpbin-1', namespace: ns },
          },
        ],
      },
    });
    assert.equal(
      (
        await policy('allow-curl', {
          selector: { matchLabels: { app: 'httpbin' } },
          rules: [
            {
              from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/curl`] } }],
              to: [{ operation: { ports: ['80'] } }],
            },
          ],
        })
      ).code,
      0,
    );
    assert.equal(
      (
        await policy('deny-admin-path', {
          action: 'DENY',
          rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
        })
      ).code,
      0,
    );
  });
  after(async () => {
    await cp?.stop();
  });

  it('check: allowed by the ALLOW policy, naming it and its rule', async () => {
    const r = await plugin([
      'check',
      '--from',
      `${ns}/curl`,
      '--to',
      `httpbin.${ns}:8000`,
      'GET',
      '/ip',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`httpbin-1\\s+ALLOW\\s+allowed-by-policy\\s+${ns}/allow-curl rule 0`),
    );
  });

  it('check: a deny explains every ALLOW policy considered', async () => {
    const r = await plugin([
      'check',
      '--from',
      `${ns}/admin`,
      '--to',
      `httpbin.${ns}:8000`,
      'GET',
      '/ip',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /httpbin-1\s+DENY\s+no-allow-matched/);
    assert.match(
      r.stdout,
      new RegExp(
        `${ns}/allow-curl did not match: rule 0: spec\\.rules\\[0\\]\\.from\\[0\\]\\.source\\.principals: source\\.principal cluster\\.local/ns/${ns}/sa/admin not in`,
      ),
    );
  });

  it('check: DENY by path prefix wins over the ALLOW', async () => {
    const r = await plugin([
      'check',
      '--from',
      `${ns}/curl/curl-1`,
      '--to',
      `httpbin.${ns}`,
      'GET',
      '/admin/x',
      '-H',
      'x-a: 1',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`httpbin-1\\s+DENY\\s+denied-by-policy\\s+${ns}/deny-admin-path rule 0`),
    );
  });

  it('check: a TCP connection (no METHOD PATH); the HTTP-only DENY covers it', async () => {
    const r = await plugin([
      'check',
      '--from',
      `${ns}/curl`,
      '--to',
      `httpbin.${ns}:8000`,
      '-o',
      'json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      items: { pod: string; allow: boolean; reason: string; policy: string }[];
    };
    assert.deepEqual(
      out.items.map((i) => [i.pod, i.allow, i.reason, i.policy]),
      [['httpbin-1', false, 'denied-by-policy', `${ns}/deny-admin-path`]],
    );
  });

  it('check: refuses a malformed --from with a usage error', async () => {
    const r = await plugin(['check', '--from', 'nobody', '--to', `httpbin.${ns}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--from nobody: expected NS\/SA or NS\/SA\/POD/);
  });

  it('list: the policies selecting a pod, in evaluation order', async () => {
    const r = await plugin(['list', 'httpbin-1', '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^#\s+POLICY\s+ACTION\s+SCOPE\s+DRY RUN\s+VALID\s+WARNINGS$/);
    assert.match(
      lines[1]!,
      new RegExp(`^1\\s+${ns}/deny-admin-path\\s+DENY\\s+namespace\\s+no\\s+yes\\s+1$`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^2\\s+${ns}/allow-curl\\s+ALLOW\\s+workload\\s+no\\s+yes\\s+0$`),
    );
    const other = await plugin(['list', 'curl-1', '-n', ns]);
    assert.doesNotMatch(other.stdout, /allow-curl/);
  });
});
