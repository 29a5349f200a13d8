import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromUsername, parseSpiffeId, workloadIdentity } from './identity.js';

describe('identity', () => {
  it('builds the SPIFFE URI from its parts', () => {
    assert.equal(
      workloadIdentity('cluster.local', 'shop', 'cart').uri,
      'spiffe://cluster.local/ns/shop/sa/cart',
    );
  });

  it('parses a SPIFFE ID back into its parts', () => {
    const id = parseSpiffeId('spiffe://example.org/ns/a-1/sa/b.c');
    assert.deepEqual(
      [id.trustDomain, id.namespace, id.serviceAccount],
      ['example.org', 'a-1', 'b.c'],
    );
  });

  for (const bad of [
    'spiffe://cluster.local/ns/a/sa/b/extra',
    'https://cluster.local/ns/a/sa/b',
    'spiffe://cluster.local/ns/A/sa/b',
    'spiffe://cluster.local/ns//sa/b',
    'spiffe://Cluster.Local/ns/a/sa/b',
  ]) {
    it(`refuses ${bad}`, () => {
      assert.throws(() => parseSpiffeId(bad), /not a SPIFFE ID|invalid/);
    });
  }

  it('maps a ServiceAccount username to its identity, and nothing else', () => {
    assert.equal(
      identityFromUsername('system:serviceaccount:ns1:sa1', 'cluster.local')?.uri,
      'spiffe://cluster.local/ns/ns1/sa/sa1',
    );
    assert.equal(identityFromUsername('system:admin', 'cluster.local'), undefined);
    assert.equal(identityFromUsername('system:serviceaccount:a:b:c', 'cluster.local'), undefined);
  });
});
