import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoint } from './config.js';
import { anyMtls, takesMtls } from './endpoint-mtls.js';

const id = 'spiffe://cluster.local/ns/shop/sa/cart';
const ep = (mtls: boolean, portMtls?: Endpoint['portMtls']): Endpoint => ({
  address: '198.51.100.7',
  identity: id,
  mtls,
  ...(portMtls ? { portMtls } : {}),
});

describe('the TLS a caller sends to an endpoint port', () => {
  it('follows the endpoint, except on ports a port-level mode makes differ', () => {
    const cases: [string, Endpoint, number, boolean][] = [
      ['meshed', ep(true), 8080, true],
      ['not meshed', ep(false), 8080, false],
      ['meshed, 8080 DISABLE: 8080', ep(true, [{ port: 8080, mtls: false }]), 8080, false],
      ['meshed, 8080 DISABLE: 9090', ep(true, [{ port: 8080, mtls: false }]), 9090, true],
      ['DISABLE, 9090 STRICT: 9090', ep(false, [{ port: 9090, mtls: true }]), 9090, true],
      ['DISABLE, 9090 STRICT: 8080', ep(false, [{ port: 9090, mtls: true }]), 8080, false],
    ];
    for (const [name, e, port, want] of cases) assert.equal(takesMtls(e, port), want, name);
  });

  it('counts an endpoint toward the identities it vouches for when any port takes mTLS', () => {
    assert.equal(anyMtls(ep(false)), false);
    assert.equal(anyMtls(ep(false, [{ port: 9090, mtls: true }])), true);
    assert.equal(anyMtls(ep(true, [{ port: 8080, mtls: false }])), true);
  });
});
