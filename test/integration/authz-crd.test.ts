// The AuthorizationPolicy CRD against the real API server: it installs (the CEL
// rules fit the cost budget), takes Istio's policies as they are written, and
// refuses at admission every invalid shape the schema can name.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { AuthorizationPolicyResource } from '../../discovery/authz-status.js';
import { AuthzStatusWriter } from '../../discovery/authz-status.js';
import { createLogger } from '../../src/log.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, uniqueName } from '../support/cluster.js';
import { kubectl } from '../support/kubectl.js';

const CRD = path.resolve(
  import.meta.dirname,
  '../../../manifests/crds/authorizationpolicies.weft.dev.yaml',
);

describe('AuthorizationPolicy CRD (real kube-apiserver)', () => {
  let cp: ControlPlane;
  const ns = uniqueName('authz-crd');
  let n = 0;

  before(async () => {
    cp = await startControlPlane();
    const r = await kubectl(cp.kubeconfigPath, ['apply', '-f', CRD]);
    assert.equal(r.code, 0, r.stderr);
    const w = await kubectl(cp.kubeconfigPath, [
      'wait',
      '--for=condition=Established',
      'crd/authorizationpolicies.weft.dev',
      '--timeout=60s',
    ]);
    assert.equal(w.code, 0, w.stderr);
    await createNamespace(cp.kubeConfig, ns);
  });
  after(async () => {
    await cp?.stop();
  });

  const apply = (spec: unknown) =>
    kubectl(
      cp.kubeconfigPath,
      ['apply', '-f', '-'],
      process.env,
      stringify({
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `p${n++}`, namespace: ns },
        spec,
      }),
    );

  const accepted: [string, unknown][] = [
    ['allow-nothing', {}],
    [
      "Istio's reference example",
      {
        selector: { matchLabels: { app: 'httpbin', version: 'v1' } },
        action: 'ALLOW',
        rules: [
          {
            from: [
              { source: { principals: ['cluster.local/ns/default/sa/curl'] } },
              { source: { namespaces: ['test'] } },
            ],
            to: [
              { operation: { methods: ['GET'], paths: ['/info*'] } },
              { operation: { methods: ['POST'], paths: ['/data'] } },
            ],
            when: [{ key: 'request.headers[x-token]', values: ['admin'] }],
          },
        ],
      },
    ],
    [
      'deny by ip and port',
      {
        action: 'DENY',
        rules: [
          {
            from: [{ source: { notIpBlocks: ['2001:db8::/32'] } }],
            to: [{ operation: { notPorts: ['8080'] } }],
          },
        ],
      },
    ],
    ['audit', { action: 'AUDIT', rules: [{ to: [{ operation: { paths: ['/users/{*}'] } }] }] }],
    ['serviceAccounts', { rules: [{ from: [{ source: { serviceAccounts: ['foo/curl'] } }] }] }],
  ];
  for (const [name, spec] of accepted) {
    it(`accepts ${name}`, async () => {
      const r = await apply(spec);
      assert.equal(r.code, 0, r.stderr);
    });
  }

  const refused: [string, unknown, RegExp][] = [
    ['action CUSTOM', { action: 'CUSTOM', provider: { name: 'ext' } }, /CUSTOM .* not supported/],
    ['an unknown action', { action: 'REJECT' }, /Unsupported value: "REJECT"/],
    [
      'provider without CUSTOM',
      { provider: { name: 'ext' } },
      /provider is only for action CUSTOM/,
    ],
    [
      'targetRef',
      { targetRef: { kind: 'Service', name: 'x' } },
      /targetRef\/targetRefs are not supported/,
    ],
    ['a from entry without source', { rules: [{ from: [{}] }] }, /each from entry needs a source/],
    [
      'an empty source',
      { rules: [{ from: [{ source: {} }] }] },
      /source: Invalid value: 0: spec.rules\[0\].from\[0\].source in body should have at least 1 properties/,
    ],
    ['a to entry without operation', { rules: [{ to: [{}] }] }, /each to entry needs an operation/],
    [
      'an empty operation',
      { rules: [{ to: [{ operation: {} }] }] },
      /operation: Invalid value: 0: spec.rules\[0\].to\[0\].operation in body should have at least 1 properties/,
    ],
    [
      'serviceAccounts with principals',
      { rules: [{ from: [{ source: { serviceAccounts: ['a/b'], principals: ['x'] } }] }] },
      /serviceAccounts cannot be set together/,
    ],
    ['requestPrincipals', { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }, /JWT/],
    [
      'a principal with its scheme',
      { rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/a/sa/b'] } }] }] },
      /without the spiffe:\/\/ scheme/,
    ],
    [
      'a port out of range',
      { rules: [{ to: [{ operation: { ports: ['70000'] } }] }] },
      /operation.ports\[0\]: Invalid value: "70000"/,
    ],
    [
      'a named port',
      { rules: [{ to: [{ operation: { notPorts: ['http'] } }] }] },
      /operation.notPorts\[0\]: Invalid value: "http"/,
    ],
    [
      'a condition without values',
      { rules: [{ when: [{ key: 'source.ip' }] }] },
      /values or notValues/,
    ],
    ['a condition without key', { rules: [{ when: [{ values: ['x'] }] }] }, /key: Required value/],
    [
      'a JWT condition key',
      { rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }] },
      /key must be request.headers/,
    ],
    ['an unknown field', { rules: [{ form: [] }] }, /unknown field "spec.rules\[0\].form"/],
    ['a list where an object goes', { rules: 'all' }, /spec.rules in body must be of type array/],
  ];
  for (const [name, spec, message] of refused) {
    it(`refuses ${name} at admission`, async () => {
      const r = await apply(spec);
      assert.notEqual(r.code, 0, `accepted: ${name}`);
      assert.match(r.stderr, message);
    });
  }

  // What admission cannot refuse (IP syntax, path templates) the status says.
  it('writes status.conditions: Invalid with the field, and Accepted', async () => {
    const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const writer = new AuthzStatusWriter(
      custom,
      createLogger({}, 'error', () => undefined),
    );
    const ref = {
      group: 'weft.dev',
      version: 'v1alpha1',
      plural: 'authorizationpolicies',
      namespace: ns,
    };
    const bad = await apply({
      action: 'DENY',
      rules: [{ from: [{ source: { ipBlocks: ['198.51.100.0/33'] } }] }],
    });
    assert.equal(bad.code, 0, bad.stderr);
    const badName = `p${n - 1}`;
    const good = await apply({
      action: 'ALLOW',
      rules: [{ to: [{ operation: { methods: ['GET'] } }] }],
    });
    assert.equal(good.code, 0, good.stderr);
    const goodName = `p${n - 1}`;
    for (const name of [badName, goodName]) {
      await writer.observe(
        (await custom.getNamespacedCustomObject({ ...ref, name })) as AuthorizationPolicyResource,
      );
    }
    const printed = await kubectl(cp.kubeconfigPath, ['get', 'ap', '-n', ns, badName, goodName]);
    assert.match(printed.stdout, /NAME\s+ACTION\s+ACCEPTED\s+AGE/);
    assert.match(printed.stdout, new RegExp(`${badName}\\s+DENY\\s+False`));
    assert.match(printed.stdout, new RegExp(`${goodName}\\s+ALLOW\\s+True`));
    const got = (await custom.getNamespacedCustomObject({
      ...ref,
      name: badName,
    })) as AuthorizationPolicyResource;
    const accepted = got.status?.conditions?.find((c) => c.type === 'Accepted');
    assert.equal(accepted?.reason, 'Invalid');
    assert.match(
      accepted?.message ?? '',
      /^spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks: "198\.51\.100\.0\/33" has a prefix length outside 0-32/,
    );
    const warned = (await custom.getNamespacedCustomObject({
      ...ref,
      name: goodName,
    })) as AuthorizationPolicyResource;
    assert.equal(warned.status?.conditions?.find((c) => c.type === 'Warnings')?.status, 'True');
  });

  it('has a status subresource that the spec cannot write', async () => {
    const r = await kubectl(cp.kubeconfigPath, [
      'get',
      'crd',
      'authorizationpolicies.weft.dev',
      '-o',
      'jsonpath={.spec.versions[0].subresources}',
    ]);
    assert.equal(r.stdout, '{"status":{}}');
  });
});
