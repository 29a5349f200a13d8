// AuthorizationPolicies from the API server to a sidecar's compiled policies:
// discovery selects per pod (namespace, labels, root namespace), the resources
// travel in a view message, the sidecar applies them and compiles them in
// evaluation order; an invalid spec is applied fail-closed, never refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { PolicyObject } from '../authz/index.js';
import { evaluate } from '../authz/index.js';
import { authzResourcesFor, buildAuthzCatalog } from './build-authz.js';
import type { MeshConfig } from './config.js';
import { compileMesh } from './mesh-index.js';
import { applyMessage } from './view-apply.js';
import { diffView } from './view-diff.js';
import type { View } from './view.js';
import { viewVersion } from './view.js';
import { ServerMessage } from './wire.js';

const ROOT = 'weft-system';
const policy = (
  namespace: string,
  name: string,
  spec: unknown,
  annotations: Record<string, string> = {},
): PolicyObject => ({ namespace, name, spec, annotations });
const pod = (namespace: string, labels: Record<string, string>): V1Pod => ({
  metadata: { namespace, name: 'p', labels },
});

const POLICIES = [
  policy('shop', 'ns-wide', {
    action: 'DENY',
    rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }],
  }),
  policy('shop', 'web-only', {
    selector: { matchLabels: { app: 'web' } },
    rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/client'] } }] }],
  }),
  policy(ROOT, 'mesh-wide', { action: 'AUDIT', rules: [{}] }),
  policy('other', 'elsewhere', {}),
  policy('shop', 'dry', { action: 'DENY', rules: [{}] }, { 'weft.dev/dry-run': 'true' }),
  // Not a valid spec (CUSTOM is refused): still streamed, applied fail-closed.
  policy('shop', 'broken', { action: 'CUSTOM', rules: [{}] }),
];

function sidecarConfig(resources: Map<string, unknown>): MeshConfig {
  const desired = resources as View;
  const d = diffView(new Map(), desired);
  const message = ServerMessage.parse({
    type: 'snapshot',
    nonce: 'n1',
    version: viewVersion(desired),
    resources: d.resources,
    removed: [],
  });
  const applied = applyMessage(new Map(), message, 'cluster.local');
  if (!applied.ok) assert.fail(applied.error);
  return applied.config;
}

describe('authorization policies in views', () => {
  const catalog = buildAuthzCatalog(POLICIES);

  it('gives a pod exactly the policies that select it: its namespace, its labels, the root namespace', () => {
    const web = authzResourcesFor(catalog, pod('shop', { app: 'web' }), ROOT);
    assert.deepEqual([...web.keys()].sort(), [
      'authz/shop/broken',
      'authz/shop/dry',
      'authz/shop/ns-wide',
      'authz/shop/web-only',
      'authz/weft-system/mesh-wide',
    ]);
    const db = authzResourcesFor(catalog, pod('shop', { app: 'db' }), ROOT);
    assert.ok(!db.has('authz/shop/web-only'), 'a selector that does not match leaves it out');
    const other = authzResourcesFor(catalog, pod('other', {}), ROOT);
    assert.deepEqual([...other.keys()].sort(), [
      'authz/other/elsewhere',
      'authz/weft-system/mesh-wide',
    ]);
  });

  it('delivers a DENY with the longest legal namespace and name (63 + 253 characters)', () => {
    const ns = 'n'.repeat(63);
    const long = policy(ns, 'd'.repeat(253), { action: 'DENY', rules: [{}] });
    const resources = authzResourcesFor(buildAuthzCatalog([long]), pod(ns, {}), ROOT);
    const config = sidecarConfig(resources);
    assert.equal(config.authorization.length, 1, 'the sidecar applied it, not refused it');
    const mesh = compileMesh(config, ns);
    const d = evaluate(mesh.authz.policies, {
      source: { ip: '192.0.2.9' },
      destination: { ip: '192.0.2.10', port: 80 },
    });
    assert.equal(d.allow, false);
  });

  it('shares one resource object per policy across pods (one serialisation, one hash)', () => {
    const a = authzResourcesFor(catalog, pod('shop', { app: 'web' }), ROOT);
    const b = authzResourcesFor(catalog, pod('shop', { app: 'db' }), ROOT);
    assert.equal(a.get('authz/shop/ns-wide'), b.get('authz/shop/ns-wide'));
  });

  it('changes a resource version only when its policy changes', () => {
    const next = buildAuthzCatalog([
      ...POLICIES.filter((p) => p.name !== 'ns-wide'),
      policy('shop', 'ns-wide', {
        action: 'DENY',
        rules: [{ to: [{ operation: { paths: ['/x'] } }] }],
      }),
    ]);
    const before = authzResourcesFor(catalog, pod('shop', { app: 'web' }), ROOT);
    const after = authzResourcesFor(next, pod('shop', { app: 'web' }), ROOT);
    assert.notEqual(
      before.get('authz/shop/ns-wide')!.version,
      after.get('authz/shop/ns-wide')!.version,
    );
    assert.equal(before.get('authz/shop/dry')!.version, after.get('authz/shop/dry')!.version);
  });

  it('applies every policy in the sidecar, the invalid one fail-closed, in evaluation order', () => {
    const config = sidecarConfig(authzResourcesFor(catalog, pod('shop', { app: 'web' }), ROOT));
    const mesh = compileMesh(config, 'shop');
    const names = mesh.authz.policies.map((p) => `${p.action}:${p.namespace}/${p.name}`);
    assert.equal(mesh.authz.invalid, 1);
    assert.deepEqual(names.slice(-1), ['AUDIT:weft-system/mesh-wide']);
    assert.ok(mesh.authz.byKey.get('shop/dry')!.dryRun);
    // The broken (CUSTOM) policy denies what it selects: the client the ALLOW lets in is refused.
    const broken = mesh.authz.byKey.get('shop/broken')!;
    assert.equal(broken.valid, false);
    const d = evaluate(mesh.authz.policies, {
      source: { principal: 'spiffe://cluster.local/ns/shop/sa/client', ip: '10.0.0.1' },
      destination: { ip: '10.0.0.2', port: 8080 },
      http: { method: 'GET', path: '/', host: 'web', headers: {} },
    });
    assert.deepEqual([d.allow, d.policy], [false, 'shop/broken']);
  });
});
