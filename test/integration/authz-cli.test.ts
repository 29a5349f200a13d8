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
  /** `authz check --from FROM --to TO` and the rest (METHOD PATH, flags). */
  const check = (from: string, to: string, ...rest: string[]) =>
    plugin(['check', '--from', from, '--to', to, ...rest]);
  /** GET /ip from curl to httpbin:8000, the request most tests ask about. */
  const curlGetIp = (...flags: string[]) =>
    check(`${ns}/curl`, `httpbin.${ns}:8000`, 'GET', '/ip', ...flags);
  const meshRoot = uniqueName('mesh-root');
  const removePolicy = async (name: string, namespace: string): Promise<void> => {
    const args = ['delete', 'authorizationpolicy.weft.dev', name, '-n', namespace];
    const r = await kubectl(cp.kubeconfigPath, args);
    assert.equal(r.code, 0, r.stderr);
  };

  const policy = (name: string, spec: unknown, namespace = ns) =>
    kubectl(
      cp.kubeconfigPath,
      ['apply', '-f', '-'],
      process.env,
      stringify({
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'AuthorizationPolicy',
        metadata: { name, namespace },
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
    await createNamespace(cp.kubeConfig, meshRoot);
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
    const r = await curlGetIp();
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`httpbin-1\\s+ALLOW\\s+allowed-by-policy\\s+${ns}/allow-curl rule 0`),
    );
  });

  it('check: a deny explains every ALLOW policy considered', async () => {
    const r = await check(`${ns}/admin`, `httpbin.${ns}:8000`, 'GET', '/ip');
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
    const r = await check(`${ns}/curl/curl-1`, `httpbin.${ns}`, 'GET', '/admin/x', '-H', 'x-a: 1');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`httpbin-1\\s+DENY\\s+denied-by-policy\\s+${ns}/deny-admin-path rule 0`),
    );
  });

  it('check: a TCP connection (no METHOD PATH); the HTTP-only DENY covers it', async () => {
    const r = await check(`${ns}/curl`, `httpbin.${ns}:8000`, '-o', 'json');
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
    const r = await check('nobody', `httpbin.${ns}`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--from nobody: expected NS\/SA or NS\/SA\/POD/);
  });

  it('check and list: --root-namespace names the mesh root, as the flag of discovery does', async () => {
    assert.equal(
      (await policy('mesh-deny-all', { action: 'DENY', rules: [{}] }, meshRoot)).code,
      0,
    );
    // Under the default root (weft-system) the policy in meshRoot is just another namespace's.
    const before = await curlGetIp();
    assert.equal(before.code, 0, before.stdout);
    const r = await curlGetIp('--root-namespace', meshRoot);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`httpbin-1\\s+DENY\\s+denied-by-policy\\s+${meshRoot}/mesh-deny-all rule 0`),
    );
    const list = await plugin(['list', 'httpbin-1', '-n', ns, '--root-namespace', meshRoot]);
    assert.match(
      list.stdout,
      new RegExp(`^1\\s+${meshRoot}/mesh-deny-all\\s+DENY\\s+mesh\\s`, 'm'),
    );
    assert.doesNotMatch((await plugin(['list', 'httpbin-1', '-n', ns])).stdout, /mesh-deny-all/);
    await removePolicy('mesh-deny-all', meshRoot);
  });

  it('check: --plaintext, --source-ip, --remote-ip, --sni and a repeated -H reach the matcher', async () => {
    const rules = [
      { from: [{ source: { notPrincipals: ['*'] } }] },
      { from: [{ source: { ipBlocks: ['203.0.113.0/24'] } }] },
      { from: [{ source: { remoteIpBlocks: ['198.51.100.128/25'] } }] },
      { when: [{ key: 'connection.sni', values: ['evil.example'] }] },
      { when: [{ key: 'request.headers[x-a]', values: ['1,2'] }] },
    ];
    assert.equal((await policy('deny-shapes', { action: 'DENY', rules }, ns)).code, 0);
    const ask = async (...flags: string[]): Promise<string> => {
      const r = await curlGetIp('-o', 'json', ...flags);
      const item = (JSON.parse(r.stdout) as { items: { policy?: string; rule?: number }[] })
        .items[0]!;
      return `${item.policy ?? 'none'} ${item.rule ?? ''}`;
    };
    const denied = (rule: number): string => `${ns}/deny-shapes ${rule}`;
    assert.equal(await ask(), `${ns}/allow-curl 0`);
    assert.equal(await ask('--plaintext'), denied(0));
    assert.equal(await ask('--source-ip', '203.0.113.5'), denied(1));
    assert.equal(await ask('--remote-ip', '198.51.100.200'), denied(2));
    assert.equal(await ask('--sni', 'evil.example'), denied(3));
    assert.equal(await ask('-H', 'x-a: 1', '-H', 'x-a: 2'), denied(4));
    const bad = await check(`${ns}/curl`, `httpbin.${ns}`, '--source-ip', 'not-an-ip');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--source-ip not-an-ip: expected an IPv4 or IPv6 address/);
    await removePolicy('deny-shapes', ns);
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
