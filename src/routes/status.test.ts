import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoute, routeStatus } from './index.js';
import type { StatusWorld } from './index.js';

const NOW = '2026-01-01T00:00:00Z';
const SERVICES: Record<string, number[]> = {
  'mesh/echo': [80, 8080],
  'mesh/echo-v1': [80],
  'other/far': [80],
};
const world = (extra: Partial<StatusWorld> = {}): StatusWorld => ({
  servicePorts: (ns, name) => SERVICES[`${ns}/${name}`],
  now: NOW,
  ...extra,
});
const route = (spec: Record<string, unknown>, generation = 3) =>
  compileRoute({
    kind: 'HTTPRoute',
    namespace: 'mesh',
    name: 'r',
    creationTimestamp: NOW,
    generation,
    spec,
  });
const PARENT = { group: '', kind: 'Service', name: 'echo', port: 80 };
const conditions = (spec: Record<string, unknown>, w = world()) =>
  routeStatus(route(spec), w).map((s) =>
    Object.fromEntries(s.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])),
  );

describe('route status (Accepted, ResolvedRefs, PartiallyInvalid)', () => {
  it('a good route is Accepted with ResolvedRefs, per Service parent, with generation and controller', () => {
    const s = routeStatus(
      route({ parentRefs: [PARENT], rules: [{ backendRefs: [{ name: 'echo-v1', port: 80 }] }] }),
      world(),
    );
    assert.equal(s.length, 1);
    assert.deepEqual(s[0]?.parentRef, PARENT);
    assert.equal(s[0]?.controllerName, 'weft.dev/mesh');
    assert.deepEqual(
      s[0]?.conditions.map((c) => [
        c.type,
        c.status,
        c.reason,
        c.observedGeneration,
        c.lastTransitionTime,
      ]),
      [
        ['Accepted', 'True', 'Accepted', 3, NOW],
        ['ResolvedRefs', 'True', 'ResolvedRefs', 3, NOW],
      ],
    );
  });

  it('a parent Service that does not exist: NoMatchingParent', () => {
    assert.deepEqual(
      conditions({ parentRefs: [{ ...PARENT, name: 'nope' }], rules: [{}] })[0]?.Accepted,
      'False/NoMatchingParent',
    );
  });

  it('a parent port the Service lacks: NoMatchingParent', () => {
    assert.deepEqual(
      conditions({ parentRefs: [{ ...PARENT, port: 9999 }], rules: [{}] })[0]?.Accepted,
      'False/NoMatchingParent',
    );
  });

  it('a missing backend Service: ResolvedRefs False BackendNotFound', () => {
    assert.equal(
      conditions({
        parentRefs: [PARENT],
        rules: [{ backendRefs: [{ name: 'gone', port: 80 }] }],
      })[0]?.ResolvedRefs,
      'False/BackendNotFound',
    );
  });

  it('a backend port the Service lacks: BackendNotFound', () => {
    assert.equal(
      conditions({
        parentRefs: [PARENT],
        rules: [{ backendRefs: [{ name: 'echo-v1', port: 81 }] }],
      })[0]?.ResolvedRefs,
      'False/BackendNotFound',
    );
  });

  it('a backend that is not a Service: InvalidKind', () => {
    assert.equal(
      conditions({
        parentRefs: [PARENT],
        rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'x' }] }],
      })[0]?.ResolvedRefs,
      'False/InvalidKind',
    );
  });

  it('a mirror backend is resolved too', () => {
    assert.equal(
      conditions({
        parentRefs: [PARENT],
        rules: [
          {
            filters: [
              { type: 'RequestMirror', requestMirror: { backendRef: { name: 'gone', port: 80 } } },
            ],
            backendRefs: [{ name: 'echo-v1', port: 80 }],
          },
        ],
      })[0]?.ResolvedRefs,
      'False/BackendNotFound',
    );
  });

  it('a cross-namespace backend needs no ReferenceGrant in a mesh (GEP-1426)', () => {
    assert.equal(
      conditions({
        parentRefs: [PARENT],
        rules: [{ backendRefs: [{ name: 'far', namespace: 'other', port: 80 }] }],
      })[0]?.ResolvedRefs,
      'True/ResolvedRefs',
    );
  });

  it('with requireReferenceGrant, an ungranted cross-namespace backend: RefNotPermitted', () => {
    const spec = {
      parentRefs: [PARENT],
      rules: [{ backendRefs: [{ name: 'far', namespace: 'other', port: 80 }] }],
    };
    assert.equal(
      conditions(spec, world({ requireReferenceGrant: true, referenceGranted: () => false }))[0]
        ?.ResolvedRefs,
      'False/RefNotPermitted',
    );
    assert.equal(
      conditions(spec, world({ requireReferenceGrant: true, referenceGranted: () => true }))[0]
        ?.ResolvedRefs,
      'True/ResolvedRefs',
    );
  });

  it('an unsupported feature: Accepted False UnsupportedValue, naming the field', () => {
    const s = routeStatus(
      route({ parentRefs: [PARENT], rules: [{ filters: [{ type: 'CORS', cors: {} }] }] }),
      world(),
    );
    const acc = s[0]?.conditions.find((c) => c.type === 'Accepted');
    assert.equal(`${acc?.status}/${acc?.reason}`, 'False/UnsupportedValue');
    assert.match(
      acc?.message ?? '',
      /spec\.rules\[0\]\.filters\[0\]: cors: not implemented by weft/,
    );
  });

  it('incompatible filters: Accepted False IncompatibleFilters', () => {
    const spec = {
      parentRefs: [PARENT],
      rules: [
        {
          filters: [
            { type: 'URLRewrite', urlRewrite: {} },
            { type: 'RequestRedirect', requestRedirect: {} },
          ],
        },
      ],
    };
    assert.equal(conditions(spec)[0]?.Accepted, 'False/IncompatibleFilters');
  });

  it('one bad rule of two: Accepted True and PartiallyInvalid "Dropped Rule"', () => {
    const s = routeStatus(
      route({
        parentRefs: [PARENT],
        rules: [
          { backendRefs: [{ name: 'echo-v1', port: 80 }] },
          { matches: [{ path: { type: 'RegularExpression', value: '(' } }] },
        ],
      }),
      world(),
    );
    const pi = s[0]?.conditions.find((c) => c.type === 'PartiallyInvalid');
    assert.equal(s[0]?.conditions[0]?.status, 'True');
    assert.equal(`${pi?.status}/${pi?.reason}`, 'True/UnsupportedValue');
    assert.match(pi?.message ?? '', /^Dropped Rule\(s\) 1; spec\.rules\[1\]/);
  });

  it('a Service parent with sectionName: UnsupportedValue for that parent only', () => {
    const c = conditions({
      parentRefs: [PARENT, { ...PARENT, port: 8080, sectionName: 'http' }],
      rules: [{}],
    });
    assert.deepEqual(
      c.map((x) => x.Accepted),
      ['True/Accepted', 'False/UnsupportedValue'],
    );
  });

  it('a bad spec envelope still tells each Service parent why (Accepted False)', () => {
    const s = routeStatus(
      route({ parentRefs: [PARENT], hostnames: ['UPPER'], rules: [{}] }),
      world(),
    );
    const acc = s[0]?.conditions.find((c) => c.type === 'Accepted');
    assert.equal(`${acc?.status}/${acc?.reason}`, 'False/UnsupportedValue');
    assert.match(acc?.message ?? '', /spec\.hostnames\[0\]/);
  });

  it('Gateway parents get no status from weft', () => {
    assert.equal(
      routeStatus(route({ parentRefs: [{ name: 'gw' }], rules: [{}] }), world()).length,
      0,
    );
  });
});
