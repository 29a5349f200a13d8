import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import type { RouteParentStatus } from '../src/routes/index.js';
import type { RouteResourceObject, StoredRoute } from './route-status.js';
import { RouteStatusWriter, storedRoute } from './route-status.js';
import { statusWorld } from './route-world.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const log = createLogger({ component: 'test' }, 'error', () => undefined);
const PARENT = { group: '', kind: 'Service', name: 'echo' };

const object = (resourceVersion: string, status?: { parents: unknown[] }): RouteResourceObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: {
    namespace: 'mesh',
    name: 'r',
    generation: 1,
    resourceVersion,
    creationTimestamp: new Date('2026-11-30T00:00:00Z'),
  },
  spec: { parentRefs: [PARENT], rules: [{ backendRefs: [{ name: 'echo', port: 80 }] }] },
  ...(status ? { status } : {}),
});

interface Write {
  resourceVersion: string;
  parents: RouteParentStatus[];
}

/** An API server holding one route, with optimistic concurrency on resourceVersion. */
function fakeApi(initial: RouteResourceObject) {
  let stored = initial;
  let rv = Number(initial.metadata!.resourceVersion);
  const writes: Write[] = [];
  let reads = 0;
  const api = {
    replaceNamespacedCustomObjectStatus: (req: { body: RouteResourceObject }) => {
      const parents = req.body.status?.parents as RouteParentStatus[];
      writes.push({ resourceVersion: req.body.metadata!.resourceVersion!, parents });
      if (req.body.metadata!.resourceVersion !== stored.metadata!.resourceVersion) {
        return Promise.reject(new ApiException(409, 'Conflict', '{}', {}));
      }
      rv++;
      stored = {
        ...stored,
        metadata: { ...stored.metadata, resourceVersion: String(rv) },
        status: { parents },
      };
      return Promise.resolve(stored);
    },
    getNamespacedCustomObjectStatus: () => {
      reads++;
      return Promise.resolve(stored);
    },
  } as unknown as CustomObjectsApi;
  return {
    api,
    writes,
    reads: () => reads,
    stored: () => stored,
    /** Another writer (a second replica) changes the route behind the cache's back. */
    set: (o: RouteResourceObject) => (stored = o),
  };
}

function writer(api: CustomObjectsApi, routes: () => StoredRoute[], services: string[]) {
  return new RouteStatusWriter(
    api,
    {
      routes,
      world: (now) =>
        statusWorld(
          new Map(services.map((s) => [`mesh/${s}`, { spec: { ports: [{ port: 80 }] } }])),
          new Map(),
          now,
          true,
        ),
    },
    log,
    { now: () => NOW },
  );
}

const summary = (parents: unknown[] | undefined): string[] =>
  (parents as RouteParentStatus[] | undefined)?.flatMap((p) =>
    p.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`),
  ) ?? [];

describe('route status writer', () => {
  it('writes Accepted and ResolvedRefs once, and nothing while they hold', async () => {
    const fake = fakeApi(object('5'));
    let cache = [storedRoute('HTTPRoute', fake.stored())];
    const w = writer(fake.api, () => cache, ['echo']);
    await w.reconcile();
    assert.equal(fake.writes.length, 1);
    assert.equal(fake.writes[0]!.resourceVersion, '5', 'a compare-and-swap on what was seen');
    assert.deepEqual(summary(fake.stored().status?.parents as unknown[]), [
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    // The cache still holds version 5 until the informer brings 6: no second write.
    await w.reconcile();
    assert.equal(fake.writes.length, 1);
    cache = [storedRoute('HTTPRoute', fake.stored())];
    await w.reconcile();
    assert.equal(fake.writes.length, 1);
  });

  it('on a conflict re-reads and stops when another replica already wrote the same', async () => {
    const fake = fakeApi(object('5'));
    const stale = storedRoute('HTTPRoute', fake.stored());
    // Replica A writes first.
    await writer(fake.api, () => [storedRoute('HTTPRoute', fake.stored())], ['echo']).reconcile();
    assert.equal(fake.writes.length, 1);
    // Replica B still holds version 5: its write conflicts, it re-reads, and writes nothing more.
    await writer(fake.api, () => [stale], ['echo']).reconcile();
    assert.equal(fake.writes.length, 2);
    assert.equal(fake.reads(), 1);
    assert.equal(fake.stored().metadata?.resourceVersion, '6');
  });

  it('on a conflict with a different status, writes again on the version read', async () => {
    const fake = fakeApi(object('5'));
    const stale = storedRoute('HTTPRoute', fake.stored());
    fake.set({ ...object('9'), metadata: { ...object('9').metadata, generation: 2 } });
    await writer(fake.api, () => [stale], ['echo']).reconcile();
    assert.deepEqual(
      fake.writes.map((x) => x.resourceVersion),
      ['5', '9'],
    );
    const parents = fake.stored().status?.parents as RouteParentStatus[];
    assert.equal(parents[0]!.conditions[0]!.observedGeneration, 2);
  });

  it('keeps another controller’s entry and recomputes when the backend appears', async () => {
    const theirs = {
      parentRef: { name: 'gw' },
      controllerName: 'example.com/gw',
      conditions: [],
    };
    const fake = fakeApi(object('5', { parents: [theirs] }));
    const services = ['other'];
    const w = writer(fake.api, () => [storedRoute('HTTPRoute', fake.stored())], services);
    await w.reconcile();
    // No Service echo: the parent is not found and neither is the backend.
    assert.deepEqual(summary((fake.stored().status?.parents as unknown[]).slice(1)), [
      'Accepted=False/NoMatchingParent',
      'ResolvedRefs=False/BackendNotFound',
    ]);
    services.push('echo');
    await w.reconcile();
    const parents = fake.stored().status?.parents as unknown[];
    assert.deepEqual(parents[0], theirs);
    assert.deepEqual(summary(parents.slice(1)), [
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
  });

  it('leaves routes without a Service parent alone', async () => {
    const o = object('5');
    o.spec = { parentRefs: [{ name: 'gw' }], rules: [{}] };
    const fake = fakeApi(o);
    await writer(fake.api, () => [storedRoute('HTTPRoute', o)], ['echo']).reconcile();
    assert.equal(fake.writes.length, 0);
  });
});
