import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audit } from './findings.js';
import { identityRows } from './identities.js';
import type { Inventory, PodFacts } from './model.js';

const now = new Date('2026-06-01T12:00:00Z');
const opts = { now, expiringWithinMs: 6 * 3600_000 };
const pod = (name: string, extra: Partial<PodFacts> = {}): PodFacts => ({
  namespace: 'shop',
  name,
  serviceAccount: 'cart',
  injected: true,
  optedOut: false,
  hostNetwork: false,
  workload: `Deployment/${name}`,
  ...extra,
});
const base: Inventory = {
  trustDomain: 'cluster.local',
  namespaces: [{ name: 'shop', injectionEnabled: true, bundle: 'ROOTS' }],
  pods: [pod('cart-1', { workload: 'Deployment/cart' })],
  records: [],
  roots: 'ROOTS',
};
const codes = (inv: Inventory): string[] => audit(inv, opts).map((f) => f.code);

describe('audit', () => {
  it('finds nothing in a healthy namespace', () => assert.deepEqual(codes(base), []));

  it('flags an uninjected pod (high) and an opted-out one (low)', () => {
    const inv = {
      ...base,
      pods: [
        pod('a', { injected: false }),
        pod('b', { injected: false, optedOut: true, workload: 'Deployment/a' }),
      ],
    };
    const f = audit(inv, opts);
    assert.deepEqual(
      f.map((x) => [x.code, x.severity, x.object]),
      [
        ['uninjected-pod', 'high', 'pod/a'],
        ['opted-out-pod', 'low', 'pod/b'],
      ],
    );
  });

  it('flags the default ServiceAccount', () => {
    assert.deepEqual(codes({ ...base, pods: [pod('a', { serviceAccount: 'default' })] }), [
      'default-service-account',
    ]);
  });

  it('flags one ServiceAccount shared by distinct workloads, not by replicas', () => {
    const replicas = [
      pod('c-1', { workload: 'Deployment/cart' }),
      pod('c-2', { workload: 'Deployment/cart' }),
    ];
    assert.deepEqual(codes({ ...base, pods: replicas }), []);
    const shared = [...replicas, pod('admin-1', { workload: 'Deployment/admin' })];
    const f = audit({ ...base, pods: shared }, opts);
    assert.equal(f[0]!.code, 'shared-service-account');
    assert.match(f[0]!.message, /Deployment\/admin, Deployment\/cart/);
  });

  const record = (notAfter: string, serviceAccount = 'cart') => ({
    namespace: 'shop',
    serviceAccount,
    spiffeId: `spiffe://cluster.local/ns/shop/sa/${serviceAccount}`,
    certificates: [{ serial: 'ab', notBefore: '2026-06-01T00:00:00Z', notAfter, path: 'sidecar' }],
  });

  it('flags expired, expiring and orphaned certificates', () => {
    assert.deepEqual(codes({ ...base, records: [record('2026-06-01T11:00:00Z')] }), [
      'certificate-expired',
    ]);
    assert.deepEqual(codes({ ...base, records: [record('2026-06-01T13:00:00Z')] }), [
      'certificate-expiring',
    ]);
    assert.deepEqual(codes({ ...base, records: [record('2026-06-02T12:00:00Z')] }), []);
    assert.deepEqual(codes({ ...base, records: [record('2026-06-02T12:00:00Z', 'ghost')] }), [
      'orphan-certificate',
    ]);
  });

  it('flags a missing or stale trust bundle in a meshed namespace', () => {
    assert.deepEqual(codes({ ...base, namespaces: [{ name: 'shop', injectionEnabled: true }] }), [
      'trust-bundle-missing',
    ]);
    assert.deepEqual(
      codes({ ...base, namespaces: [{ name: 'shop', injectionEnabled: true, bundle: 'OLD' }] }),
      ['trust-bundle-stale'],
    );
  });

  it('groups pods and findings into identity rows', () => {
    const inv = {
      ...base,
      pods: [pod('c-1'), pod('x', { injected: false, workload: 'Deployment/c-1' })],
      records: [record('2026-06-02T12:00:00Z')],
    };
    const rows = identityRows(inv, audit(inv, opts));
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.pods, ['c-1', 'x']);
    assert.equal(rows[0]!.injectedPods, 1);
    assert.equal(rows[0]!.certificate?.serial, 'ab');
    assert.deepEqual(
      rows[0]!.findings.map((f) => f.code),
      ['uninjected-pod'],
    );
  });
});
