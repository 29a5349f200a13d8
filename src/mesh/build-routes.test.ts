import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteObject } from '../routes/index.js';
import { addRouteResources, hasServiceParent } from './build-routes.js';
import type { Resource } from './view.js';

const route = (name: string, parentRefs: unknown[]): RouteObject => ({
  kind: 'HTTPRoute',
  namespace: 'mesh',
  name,
  creationTimestamp: '2026-12-01T00:00:00Z',
  generation: 2,
  spec: { parentRefs, rules: [{}] },
});

describe('route resources', () => {
  it('carries every route with a Service parent, spec as stored, and leaves Gateway-only routes out', () => {
    const svc = route('svc', [{ group: '', kind: 'Service', name: 'echo' }]);
    const both = route('both', [{ name: 'gw' }, { group: '', kind: 'Service', name: 'echo' }]);
    const gw = route('gw', [{ name: 'gw' }, { group: '', kind: 'Gateway', name: 'x' }]);
    const out = new Map<string, Resource>();
    addRouteResources(out, [svc, both, gw]);
    assert.deepEqual([...out.keys()], ['route/httproute/mesh/svc', 'route/httproute/mesh/both']);
    const r = out.get('route/httproute/mesh/svc');
    assert.equal(r?.kind, 'route');
    assert.deepEqual(r?.kind === 'route' ? r.route : undefined, { ...svc });
  });

  it('builds one resource per route object, so an unchanged route keeps its version', () => {
    const svc = route('svc', [{ group: '', kind: 'Service', name: 'echo' }]);
    const a = new Map<string, Resource>();
    const b = new Map<string, Resource>();
    addRouteResources(a, [svc]);
    addRouteResources(b, [svc]);
    assert.equal(a.get('route/httproute/mesh/svc'), b.get('route/httproute/mesh/svc'));
    const changed = new Map<string, Resource>();
    addRouteResources(changed, [{ ...svc, spec: { ...(svc.spec as object), rules: [] } }]);
    assert.notEqual(
      changed.get('route/httproute/mesh/svc')?.version,
      a.get('route/httproute/mesh/svc')?.version,
    );
  });

  it('names the refused backends, and a grant that changes them changes the version', () => {
    const svc = route('svc', [{ group: '', kind: 'Service', name: 'echo' }]);
    const refused = new Map<string, Resource>();
    addRouteResources(refused, [svc], () => ['far/api']);
    const r = refused.get('route/httproute/mesh/svc');
    assert.deepEqual(r?.kind === 'route' ? r.route.refusedBackends : undefined, ['far/api']);
    const allowed = new Map<string, Resource>();
    addRouteResources(allowed, [svc], () => []);
    const a = allowed.get('route/httproute/mesh/svc');
    assert.equal(a?.kind === 'route' ? 'refusedBackends' in a.route : undefined, false);
    assert.notEqual(a?.version, r?.version);
  });

  it('reads parentRefs defensively', () => {
    assert.equal(hasServiceParent(undefined), false);
    assert.equal(hasServiceParent({ parentRefs: 'x' }), false);
    assert.equal(hasServiceParent({ parentRefs: [null, { kind: 'Service' }] }), false);
    assert.equal(hasServiceParent({ parentRefs: [{ group: '', kind: 'Service' }] }), true);
  });
});
