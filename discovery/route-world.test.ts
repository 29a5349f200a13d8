import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Service } from '@kubernetes/client-node';
import { addRouteResources } from '../src/mesh/build-routes.js';
import { compileRoutes } from '../src/mesh/mesh-routes.js';
import type { Resource } from '../src/mesh/view.js';
import { compileRoute, routeStatus } from '../src/routes/index.js';
import {
  parseReferenceGrant,
  referenceGranted,
  refusedBackends,
  statusWorld,
} from './route-world.js';

const grant = (namespace: string, spec: unknown) =>
  parseReferenceGrant({ metadata: { namespace }, spec });
const FROM = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' };
const ROUTE = { namespace: 'shop', kind: 'HTTPRoute' };
const TARGET = { namespace: 'backend', kind: 'Service', name: 'api' };

describe('ReferenceGrants for cross-namespace backendRefs', () => {
  it('allows a route kind from a namespace to every Service, or to one by name', () => {
    const all = grant('backend', { from: [FROM], to: [{ group: '', kind: 'Service' }] });
    assert.equal(referenceGranted([all], ROUTE, TARGET), true);
    const one = grant('backend', { from: [FROM], to: [{ group: '', kind: 'Service', name: 'x' }] });
    assert.equal(referenceGranted([one], ROUTE, TARGET), false);
    assert.equal(referenceGranted([one], ROUTE, { ...TARGET, name: 'x' }), true);
  });

  it('refuses where the grant is in another namespace, for another kind or namespace', () => {
    const to = [{ group: '', kind: 'Service' }];
    assert.equal(referenceGranted([grant('shop', { from: [FROM], to })], ROUTE, TARGET), false);
    const grpc = grant('backend', { from: [{ ...FROM, kind: 'GRPCRoute' }], to });
    assert.equal(referenceGranted([grpc], ROUTE, TARGET), false);
    const elsewhere = grant('backend', { from: [{ ...FROM, namespace: 'other' }], to });
    assert.equal(referenceGranted([elsewhere], ROUTE, TARGET), false);
    const gateways = grant('backend', { from: [FROM], to: [{ group: '', kind: 'Secret' }] });
    assert.equal(referenceGranted([gateways], ROUTE, TARGET), false);
    assert.equal(referenceGranted([], ROUTE, TARGET), false);
  });

  it('reads a malformed grant as granting nothing', () => {
    const g = grant('backend', { from: 'x', to: [null, 3] });
    assert.deepEqual(g, { namespace: 'backend', from: [], to: [] });
  });

  it('gives src/routes the Services’ ports and asks for grants when they are required', () => {
    const svc: V1Service = { spec: { ports: [{ port: 80 }, { port: 9090 }] } };
    const w = statusWorld(
      new Map([
        ['backend/api', svc],
        ['backend/bare', {}],
      ]),
      new Map(),
      'now',
      true,
    );
    assert.deepEqual(w.servicePorts('backend', 'api'), [80, 9090]);
    assert.deepEqual(w.servicePorts('backend', 'bare'), []);
    assert.equal(w.servicePorts('backend', 'none'), undefined);
    assert.equal(w.requireReferenceGrant, true);
    assert.equal(w.referenceGranted?.(ROUTE, TARGET), false);
    // The default (GEP-1294): a mesh route's cross-namespace backend needs no grant.
    assert.equal(statusWorld(new Map(), new Map(), 'now', false).requireReferenceGrant, false);
  });
});

describe('backends refused for want of a ReferenceGrant', () => {
  const mirror = (name: string, namespace?: string) => ({
    type: 'RequestMirror',
    requestMirror: { backendRef: { name, port: 80, ...(namespace ? { namespace } : {}) } },
  });
  const route = {
    kind: 'HTTPRoute' as const,
    namespace: 'shop',
    name: 'r',
    creationTimestamp: '',
    spec: {
      rules: [
        {
          filters: [mirror('shadow', 'backend')],
          backendRefs: [
            { name: 'local', port: 80 },
            { name: 'api', namespace: 'backend', port: 80 },
            { name: 'api', namespace: 'backend', port: 81 },
            { group: 'example.com', kind: 'Thing', name: 'x', namespace: 'backend' },
          ],
        },
        { backendRefs: [{ name: 'db', namespace: 'data', port: 5432 }] },
        'not a rule',
      ],
    },
  };

  it('names each cross-namespace Service once, sorted, mirrors included; same-namespace never', () => {
    assert.deepEqual(refusedBackends(route, new Map(), true), [
      'backend/api',
      'backend/shadow',
      'data/db',
    ]);
  });

  it('leaves out what a grant allows', () => {
    const g = grant('backend', { from: [FROM], to: [{ group: '', kind: 'Service' }] });
    assert.deepEqual(refusedBackends(route, new Map([['backend/g', g]]), true), ['data/db']);
  });

  it('refuses nothing when grants are not required (the default, GEP-1294)', () => {
    assert.deepEqual(refusedBackends(route, new Map(), false), []);
  });

  it('reads a spec of the wrong shape as naming nothing', () => {
    for (const spec of [undefined, null, 'x', { rules: 'x' }, { rules: [{ backendRefs: [1] }] }])
      assert.deepEqual(refusedBackends({ ...route, spec }, new Map(), true), []);
  });
});

// The upstream suite's MeshConsumerRoute: a route in the consumer namespace, on echo-v1
// in the producer's, sending to echo-v1 there, with no ReferenceGrant anywhere. With
// grants required it failed every run (500 route_backend_unusable from the consumer's
// sidecar); GEP-1294 says a mesh route needs none, and by default weft asks for none.
describe("the conformance suite's consumer route, through discovery's defaults", () => {
  const MESH = 'gateway-conformance-mesh';
  const CONSUMER = 'gateway-conformance-mesh-consumer';
  const route = {
    kind: 'HTTPRoute' as const,
    namespace: CONSUMER,
    name: 'mesh-echo-add-header',
    creationTimestamp: '2026-01-01T00:00:00Z',
    generation: 1,
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo-v1', namespace: MESH }],
      rules: [
        {
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: { set: [{ name: 'X-Header-Set', value: 'set' }] },
            },
          ],
          backendRefs: [{ name: 'echo-v1', namespace: MESH, port: 80 }],
        },
      ],
    },
  };
  const echo: V1Service = { spec: { ports: [{ port: 80 }] } };

  it("reaches the consumer namespace's sidecar with its backend usable", () => {
    const into = new Map<string, Resource>();
    addRouteResources(into, [route], (r) => refusedBackends(r, new Map(), false));
    const entries = [...into.values()].flatMap((r) => (r.kind === 'route' ? [r.route] : []));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.refusedBackends, undefined);
    const routes = compileRoutes(entries, CONSUMER);
    assert.ok(routes.forCall({ namespace: MESH, name: 'echo-v1' }, 80), 'applies to the call');
    assert.equal(routes.refused(routes.compiled[0]!, { namespace: MESH, name: 'echo-v1' }), false);
    // The control: with grants required, the same route's backend is refused.
    assert.deepEqual(refusedBackends(route, new Map(), true), [`${MESH}/echo-v1`]);
  });

  it('is ResolvedRefs in status without a grant', () => {
    const world = statusWorld(new Map([[`${MESH}/echo-v1`, echo]]), new Map(), 'now', false);
    const [parent] = routeStatus(compileRoute(route), world);
    const resolved = parent!.conditions.find((c) => c.type === 'ResolvedRefs');
    assert.equal(`${resolved?.status}/${resolved?.reason}`, 'True/ResolvedRefs');
    const strict = statusWorld(new Map([[`${MESH}/echo-v1`, echo]]), new Map(), 'now', true);
    const [refused] = routeStatus(compileRoute(route), strict);
    const denied = refused!.conditions.find((c) => c.type === 'ResolvedRefs');
    assert.equal(`${denied?.status}/${denied?.reason}`, 'False/RefNotPermitted');
  });
});
