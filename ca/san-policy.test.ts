import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workloadIdentity } from '../src/identity.js';
import type { RequestedNames } from '../src/pki/csr.js';
import { checkApprovedRequest, checkRequestForIdentity } from './san-policy.js';

const id = workloadIdentity('cluster.local', 'shop', 'cart');
const names = (n: Partial<RequestedNames>): RequestedNames => ({
  uris: [],
  dnsNames: [],
  ips: [],
  emails: [],
  other: [],
  ...n,
});

describe('checkRequestForIdentity', () => {
  it('allows the token’s own URI, or no names at all', () => {
    assert.deepEqual(checkRequestForIdentity(names({ uris: [id.uri] }), id), { allowed: true });
    assert.deepEqual(checkRequestForIdentity(names({}), id), { allowed: true });
  });

  const refused: [string, Partial<RequestedNames>, RegExp][] = [
    ['another identity', { uris: ['spiffe://cluster.local/ns/shop/sa/admin'] }, /sa\/admin/],
    ['two URIs', { uris: [id.uri, 'spiffe://x/ns/a/sa/b'] }, /spiffe:\/\/x/],
    ['a DNS name', { uris: [id.uri], dnsNames: ['cart.shop'] }, /DNS cart\.shop/],
    ['an IP', { ips: ['10.1.2.3'] }, /IP 10\.1\.2\.3/],
    ['an email', { emails: ['a@b.c'] }, /email a@b\.c/],
  ];
  for (const [what, n, pattern] of refused) {
    it(`refuses ${what}, saying what was asked and what is allowed`, () => {
      const d = checkRequestForIdentity(names(n), id);
      assert.equal(d.allowed, false);
      assert.ok(!d.allowed);
      assert.match(d.reason, pattern);
      assert.match(d.reason, /allows only URI spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart/);
    });
  }
});

describe('checkApprovedRequest', () => {
  it('accepts exactly one SPIFFE ID in the trust domain', () => {
    const d = checkApprovedRequest(names({ uris: [id.uri] }), 'cluster.local');
    assert.ok(d.allowed);
    assert.equal(d.identity.uri, id.uri);
  });

  for (const [what, n, pattern] of [
    ['another trust domain', { uris: ['spiffe://other.org/ns/a/sa/b'] }, /outside trust domain/],
    ['no URI', {}, /exactly one SPIFFE URI/],
    ['a malformed SPIFFE ID', { uris: ['spiffe://cluster.local/foo'] }, /not a SPIFFE ID/],
    ['DNS names', { uris: [id.uri], dnsNames: ['x.y'] }, /DNS x\.y/],
  ] as [string, Partial<RequestedNames>, RegExp][]) {
    it(`refuses ${what}`, () => {
      const d = checkApprovedRequest(names(n), 'cluster.local');
      assert.ok(!d.allowed);
      assert.match(d.reason, pattern);
    });
  }
});
