import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteParentStatus, StatusWorld } from '../src/routes/index.js';
import { compileRoute, routeStatus } from '../src/routes/index.js';
import { mergeRouteParents } from './route-status-merge.js';

const T0 = '2026-12-01T00:00:00.000Z';
const T1 = '2026-12-01T01:00:00.000Z';
const PARENT = { group: '', kind: 'Service', name: 'echo', port: 80 };
const GATEWAY_ENTRY = {
  parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress' },
  controllerName: 'example.com/gateway',
  conditions: [
    {
      type: 'Accepted',
      status: 'True',
      reason: 'Accepted',
      message: 'theirs',
      lastTransitionTime: '2020-01-01T00:00:00Z',
    },
  ],
};

function desired(backend: string, now: string, generation = 1): RouteParentStatus[] {
  const world: StatusWorld = {
    servicePorts: (_ns, name) => (name === 'echo' ? [80] : undefined),
    now,
  };
  const route = compileRoute({
    kind: 'HTTPRoute',
    namespace: 'mesh',
    name: 'r',
    creationTimestamp: T0,
    generation,
    spec: { parentRefs: [PARENT], rules: [{ backendRefs: [{ name: backend, port: 80 }] }] },
  });
  return routeStatus(route, world);
}

const reasons = (parents: unknown[]): string[][] =>
  parents.map((p) =>
    (p as RouteParentStatus).conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
  );

describe('merging route status parents', () => {
  it('adds weft.dev/mesh entries after other controllers’ entries, which stay as stored', () => {
    const m = mergeRouteParents([GATEWAY_ENTRY], desired('echo', T0));
    assert.equal(m.changed, true);
    assert.equal(m.parents.length, 2);
    assert.deepEqual(m.parents[0], GATEWAY_ENTRY);
    assert.deepEqual((m.parents[1] as RouteParentStatus).parentRef, PARENT);
    assert.equal((m.parents[1] as RouteParentStatus).controllerName, 'weft.dev/mesh');
  });

  it('is unchanged when only the clock moved (two replicas, two moments: no write)', () => {
    const first = mergeRouteParents(undefined, desired('echo', T0));
    const again = mergeRouteParents(first.parents, desired('echo', T1));
    assert.equal(again.changed, false);
    assert.deepEqual(again.parents, first.parents);
  });

  it('moves lastTransitionTime only for a condition whose status changed', () => {
    const bad = mergeRouteParents([GATEWAY_ENTRY], desired('missing', T0));
    assert.deepEqual(reasons(bad.parents.slice(1)), [
      ['Accepted=True/Accepted', 'ResolvedRefs=False/BackendNotFound'],
    ]);
    const good = mergeRouteParents(bad.parents, desired('echo', T1));
    assert.equal(good.changed, true);
    const [accepted, refs] = (good.parents[1] as RouteParentStatus).conditions;
    assert.equal(accepted?.lastTransitionTime, T0, 'Accepted stayed True');
    assert.equal(refs?.lastTransitionTime, T1, 'ResolvedRefs went False → True');
    assert.deepEqual(good.parents[0], GATEWAY_ENTRY);
  });

  it('rewrites on a new generation, keeping transition times', () => {
    const first = mergeRouteParents(undefined, desired('echo', T0, 1));
    const next = mergeRouteParents(first.parents, desired('echo', T1, 2));
    assert.equal(next.changed, true);
    const c = (next.parents[0] as RouteParentStatus).conditions[0];
    assert.equal(c?.observedGeneration, 2);
    assert.equal(c?.lastTransitionTime, T0);
  });

  it('drops weft entries for parents no longer named, never other controllers’', () => {
    const ours = mergeRouteParents([GATEWAY_ENTRY], desired('echo', T0));
    const none = mergeRouteParents(ours.parents, []);
    assert.equal(none.changed, true);
    assert.deepEqual(none.parents, [GATEWAY_ENTRY]);
    assert.equal(mergeRouteParents([GATEWAY_ENTRY], []).changed, false);
    assert.equal(mergeRouteParents(undefined, []).changed, false);
  });

  it('a parentRef written twice does not look changed forever', () => {
    const twice = [...desired('echo', T0), ...desired('echo', T0)];
    const first = mergeRouteParents(undefined, twice);
    assert.equal(mergeRouteParents(first.parents, twice).changed, false);
  });

  it('matches stored parentRefs with the CRD’s defaults applied', () => {
    const first = mergeRouteParents(undefined, desired('echo', T0));
    const stored = first.parents.map((p) => ({
      ...(p as RouteParentStatus),
      parentRef: { ...PARENT, namespace: undefined },
    }));
    assert.equal(mergeRouteParents(stored, desired('echo', T1)).changed, false);
  });
});
