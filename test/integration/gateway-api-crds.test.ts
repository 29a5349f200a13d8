// The vendored Gateway API v1.6.3 CRDs (manifests/gateway-api/, fetched from the
// Go module proxy) against the real kube-apiserver: they install server-side and
// become Established, they are the version the conformance suite is, the
// experimental channel keeps HTTPRoute `retry`, and every route weft's unit
// table accepts is one the API server accepts too (so the matcher's subset of the
// spec never accepts a shape users cannot create).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace } from '../support/cluster.js';
import { MESH_ROUTE_CRDS, installGatewayApi } from '../support/gateway-api.js';
import { kubectl } from '../support/kubectl.js';
import { ROUTE_CASES } from '../../src/routes/cases.js';
import { compileRoute } from '../../src/routes/index.js';
import type { RouteObject } from '../../src/routes/index.js';

/** JSON, not YAML: kubectl reads YAML 1.1, where a query param named `y` is a boolean. */
function manifest(r: RouteObject, name = r.name): string {
  return JSON.stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: r.kind,
    metadata: { name, namespace: r.namespace },
    spec: r.spec,
  });
}

describe('Gateway API CRDs v1.6.3 (real kube-apiserver)', () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane();
    await installGatewayApi(cp.kubeconfigPath, 'experimental');
    for (const ns of ['mesh', 'consumer', 'third']) await createNamespace(cp.kubeConfig, ns);
  });
  after(async () => {
    await cp?.stop();
  });

  it('are the v1.6.3 experimental channel, Established', async () => {
    for (const crd of MESH_ROUTE_CRDS) {
      const r = await kubectl(cp.kubeconfigPath, ['get', `crd/${crd}`, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const o = JSON.parse(r.stdout) as {
        metadata: { annotations: Record<string, string> };
        status: { conditions: { type: string; status: string }[] };
      };
      assert.equal(o.metadata.annotations['gateway.networking.k8s.io/bundle-version'], 'v1.6.3');
      assert.equal(o.metadata.annotations['gateway.networking.k8s.io/channel'], 'experimental');
      assert.ok(o.status.conditions.some((c) => c.type === 'Established' && c.status === 'True'));
    }
  });

  it('keep HTTPRoute retry (experimental channel) on a stored route', async () => {
    const route: RouteObject = {
      kind: 'HTTPRoute',
      namespace: 'mesh',
      name: 'retry',
      creationTimestamp: '',
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
        rules: [
          {
            backendRefs: [{ name: 'echo', port: 80 }],
            retry: { attempts: 2, codes: [503], backoff: '25ms' },
            timeouts: { request: '2s', backendRequest: '1s' },
          },
        ],
      },
    };
    const r = await kubectl(cp.kubeconfigPath, ['apply', '-f', '-'], process.env, manifest(route));
    assert.equal(r.code, 0, r.stderr);
    const got = await kubectl(cp.kubeconfigPath, [
      'get',
      'httproute',
      '-n',
      'mesh',
      'retry',
      '-o',
      'json',
    ]);
    const stored = JSON.parse(got.stdout) as { spec: { rules: { retry?: unknown }[] } };
    assert.deepEqual(stored.spec.rules[0]?.retry, { attempts: 2, codes: [503], backoff: '25ms' });
  });

  it('refuse URLRewrite with RequestRedirect at admission (the CRD rule weft also checks)', async () => {
    const bad: RouteObject = {
      kind: 'HTTPRoute',
      namespace: 'mesh',
      name: 'bad',
      creationTimestamp: '',
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
        rules: [
          {
            filters: [
              { type: 'URLRewrite', urlRewrite: { hostname: 'a.example' } },
              { type: 'RequestRedirect', requestRedirect: { hostname: 'b.example' } },
            ],
          },
        ],
      },
    };
    const r = await kubectl(
      cp.kubeconfigPath,
      ['apply', '--dry-run=server', '-f', '-'],
      process.env,
      manifest(bad),
    );
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite/,
    );
  });

  it('accept every route the unit table compiles as valid', async () => {
    const seen = new Set<string>();
    let n = 0;
    for (const c of ROUTE_CASES) {
      for (const route of c.routes) {
        const key = JSON.stringify([route.kind, route.namespace, route.spec]);
        if (seen.has(key) || !compileRoute(route).valid) continue;
        seen.add(key);
        const r = await kubectl(
          cp.kubeconfigPath,
          ['apply', '--dry-run=server', '-f', '-'],
          process.env,
          manifest(route, `case-${n++}`),
        );
        assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
      }
    }
    assert.ok(n >= 50, `${n} distinct routes`);
  });
});
