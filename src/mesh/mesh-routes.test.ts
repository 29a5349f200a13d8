import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeshConfigSchema } from './config.js';
import type { RouteEntry } from './config.js';
import { compileMesh } from './mesh-index.js';

const entry = (name: string, spec: unknown, namespace = 'shop', generation = 1): RouteEntry => ({
  kind: 'HTTPRoute',
  namespace,
  name,
  creationTimestamp: '2026-01-01T00:00:00Z',
  generation,
  spec,
});
const parent = { group: '', kind: 'Service', namespace: 'shop', name: 'cart', port: 80 };
const good = entry('good', {
  parentRefs: [parent],
  rules: [{ backendRefs: [{ name: 'cart-v2', port: 80 }] }],
});
const partial = entry('partial', {
  parentRefs: [parent],
  rules: [
    { backendRefs: [{ name: 'cart', port: 80 }] },
    { filters: [{ type: 'CORS', cors: {} }], backendRefs: [{ name: 'cart', port: 80 }] },
  ],
});

function meshOf(routes: RouteEntry[], self = 'shop') {
  const config = MeshConfigSchema.parse({
    services: [
      { name: 'cart', namespace: 'shop', ports: [{ port: 80 }, { port: 81 }] },
      { name: 'cart-v2', namespace: 'shop', ports: [{ port: 80 }] },
    ],
    routes,
  });
  return compileMesh(config, self);
}

describe('routes in the mesh index', () => {
  it('compiles every route once with the config and keeps one table per called port', () => {
    const mesh = meshOf([good, partial]);
    assert.equal(mesh.routes.compiled.length, 2);
    const cart = { namespace: 'shop', name: 'cart' };
    const t = mesh.routes.forCall(cart, 80);
    assert.ok(t);
    assert.equal(t.kind, 'HTTPRoute');
    // Built once per config: the same table on every later call.
    assert.equal(mesh.routes.forCall(cart, 80), t);
    // Port 81 has no route (parentRef.port 80): the Service as it is.
    assert.equal(mesh.routes.forCall(cart, 81), undefined);
    assert.equal(mesh.routes.forCall({ namespace: 'shop', name: 'cart-v2' }, 80), undefined);
  });

  it('names the parts it refused, keyed by route version', () => {
    const mesh = meshOf([good, partial]);
    assert.deepEqual(
      mesh.routes.problems.map((p) => [p.route, p.problems[0]?.field]),
      [['shop/partial', 'spec.rules[1].filters[0].type']],
    );
    const key = /^HTTPRoute\/shop\/partial@(\d)@2026-01-01T00:00:00Z@[0-9a-f]{16}$/;
    assert.equal(key.exec(mesh.routes.problems[0]!.key)?.[1], '1');
    const next = meshOf([good, { ...partial, generation: 2 }]);
    assert.equal(key.exec(next.routes.problems[0]!.key)?.[1], '2');
  });

  it('reuses what the previous config compiled for a route version, and only that', () => {
    const first = meshOf([good, partial]);
    const config = MeshConfigSchema.parse({
      services: [{ name: 'cart', namespace: 'shop', ports: [{ port: 80 }] }],
      routes: [good, { ...partial, generation: 2 }],
    });
    const next = compileMesh(config, 'shop', first);
    assert.equal(next.routes.compiled[0], first.routes.compiled[0]);
    assert.notEqual(next.routes.compiled[1], first.routes.compiled[1]);
    // A new config gets tables of its own (its Services may have changed).
    const cart = { namespace: 'shop', name: 'cart' };
    assert.notEqual(next.routes.forCall(cart, 80), first.routes.forCall(cart, 80));
  });

  it('compiles a route made again under the same name within the same second (same generation)', () => {
    // The conformance suite's MeshFrontend then MeshPorts: both name their route
    // mesh-split-v1, generation 1, and the second came within the first's second.
    const first = meshOf([good]);
    const remade = entry('good', {
      parentRefs: [{ ...parent, port: 81 }],
      rules: [{ backendRefs: [{ name: 'cart', port: 81 }] }],
    });
    const next = compileMesh(
      MeshConfigSchema.parse({
        services: [
          { name: 'cart', namespace: 'shop', ports: [{ port: 80 }, { port: 81 }] },
          { name: 'cart-v2', namespace: 'shop', ports: [{ port: 80 }] },
        ],
        routes: [remade],
      }),
      'shop',
      first,
    );
    assert.notEqual(next.routes.compiled[0], first.routes.compiled[0]);
    const cart = { namespace: 'shop', name: 'cart' };
    assert.equal(next.routes.forCall(cart, 80), undefined, 'the old parent port is free');
    assert.ok(next.routes.forCall(cart, 81), 'the new one is routed');
  });

  it('refuses the backends the entry names, per config: a grant needs no new route version', () => {
    const cross = { namespace: 'far', name: 'api' };
    const refused = meshOf([{ ...good, refusedBackends: ['far/api'] }]);
    const route = refused.routes.compiled[0]!;
    assert.equal(refused.routes.refused(route, cross), true);
    assert.equal(refused.routes.refused(route, { namespace: 'shop', name: 'cart-v2' }), false);
    const config = MeshConfigSchema.parse({ routes: [good] });
    const granted = compileMesh(config, 'shop', refused);
    assert.equal(granted.routes.compiled[0], route, 'the same compiled route, reused');
    assert.equal(granted.routes.refused(route, cross), false);
  });

  it('applies consumer routes only to callers in their namespace', () => {
    const consumer = entry(
      'mine',
      {
        parentRefs: [parent],
        rules: [{ backendRefs: [{ name: 'cart-v2', namespace: 'shop', port: 80 }] }],
      },
      'web',
    );
    const cart = { namespace: 'shop', name: 'cart' };
    assert.ok(meshOf([consumer], 'web').routes.forCall(cart, 80));
    assert.equal(meshOf([consumer], 'other').routes.forCall(cart, 80), undefined);
  });

  it('finds a backendRef Service by name and port only', () => {
    const mesh = meshOf([]);
    assert.equal(mesh.service('shop', 'cart', 81)?.port.port, 81);
    assert.equal(mesh.service('shop', 'cart', 82), undefined);
    assert.equal(mesh.service('web', 'cart', 80), undefined);
  });
});
