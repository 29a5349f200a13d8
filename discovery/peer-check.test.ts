import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { checkPeer, plainAddress } from './peer-check.js';

const pod = (ns: string, name: string, sa: string, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { namespace: ns, name },
  spec: { serviceAccountName: sa, containers: [], ...extra.spec },
  status: { phase: 'Running', ...extra.status },
});

describe('discovery peer check', () => {
  const pods = new Map([
    ['shop/cart-1', pod('shop', 'cart-1', 'cart')],
    ['shop/done', pod('shop', 'done', 'cart', { status: { phase: 'Succeeded' } })],
    ['shop/host', pod('shop', 'host', 'cart', { spec: { hostNetwork: true, containers: [] } })],
  ]);
  const lookup = {
    pods,
    podsByIp: new Map([
      ['10.1.0.1', new Set(['shop/cart-1'])],
      ['10.1.0.2', new Set(['shop/done'])],
      ['10.1.0.3', new Set(['shop/host'])],
    ]),
    trustDomain: 'cluster.local',
  };
  const cart = 'spiffe://cluster.local/ns/shop/sa/cart';

  it('accepts the identity of the pod at the source address', () => {
    assert.deepEqual(checkPeer(lookup, '10.1.0.1', cart), { ok: true, podKey: 'shop/cart-1' });
    assert.equal(plainAddress('::ffff:10.1.0.1'), '10.1.0.1');
  });

  it('refuses every other case, naming why', () => {
    const cases: [string, string | undefined, string][] = [
      ['10.1.0.1', 'spiffe://cluster.local/ns/shop/sa/admin', 'identity_mismatch'],
      ['10.1.0.9', cart, 'no_pod'],
      ['10.1.0.2', cart, 'no_pod'],
      ['10.1.0.3', cart, 'no_pod'],
      ['10.1.0.1', 'spiffe://evil.example/ns/shop/sa/cart', 'foreign_trust_domain'],
      ['10.1.0.1', undefined, 'no_spiffe_id'],
      ['10.1.0.1', 'spiffe://cluster.local/x', 'no_spiffe_id'],
    ];
    for (const [ip, id, reason] of cases) {
      const v = checkPeer(lookup, ip, id);
      assert.equal(v.ok ? 'ok' : v.reason, reason, `${ip} ${id}`);
    }
  });
});
