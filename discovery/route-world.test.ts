import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Service } from '@kubernetes/client-node';
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

  it('gives src/routes the Services’ ports and asks for grants', () => {
    const svc: V1Service = { spec: { ports: [{ port: 80 }, { port: 9090 }] } };
    const w = statusWorld(
      new Map([
        ['backend/api', svc],
        ['backend/bare', {}],
      ]),
      new Map(),
      'now',
    );
    assert.deepEqual(w.servicePorts('backend', 'api'), [80, 9090]);
    assert.deepEqual(w.servicePorts('backend', 'bare'), []);
    assert.equal(w.servicePorts('backend', 'none'), undefined);
    assert.equal(w.requireReferenceGrant, true);
    assert.equal(w.referenceGranted?.(ROUTE, TARGET), false);
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
    assert.deepEqual(refusedBackends(route, new Map()), [
      'backend/api',
      'backend/shadow',
      'data/db',
    ]);
  });

  it('leaves out what a grant allows', () => {
    const g = grant('backend', { from: [FROM], to: [{ group: '', kind: 'Service' }] });
    assert.deepEqual(refusedBackends(route, new Map([['backend/g', g]])), ['data/db']);
  });

  it('reads a spec of the wrong shape as naming nothing', () => {
    for (const spec of [undefined, null, 'x', { rules: 'x' }, { rules: [{ backendRefs: [1] }] }])
      assert.deepEqual(refusedBackends({ ...route, spec }, new Map()), []);
  });
});
