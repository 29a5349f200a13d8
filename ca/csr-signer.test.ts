import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { KeyType } from '../src/pki/index.js';
import type { ParsedCsr } from '../src/pki/index.js';
import { decideCsr } from './csr-signer.js';

const spiffe = 'spiffe://cluster.local/ns/shop/sa/web';
const parsed: ParsedCsr = {
  keyType: KeyType.EcdsaP256,
  spki: new Uint8Array(),
  names: { uris: [spiffe], dnsNames: [], ips: [], emails: [], other: [] },
};

function csr(usages: string[], approved = false): V1CertificateSigningRequest {
  return {
    metadata: { name: 'c' },
    spec: {
      signerName: 'weft.dev/workload',
      request: '',
      usages,
      username: 'system:serviceaccount:shop:web',
    },
    ...(approved
      ? {
          status: { conditions: [{ type: 'Approved', status: 'True', reason: 'r', message: 'm' }] },
        }
      : {}),
  };
}

describe('decideCsr', () => {
  it('approves a ServiceAccount asking for its own identity with allowed usages', () => {
    const action = decideCsr(csr(['digital signature', 'client auth']), parsed, 'cluster.local');
    assert.equal(action.kind, 'approve');
  });

  it('denies, never approves, a ServiceAccount’s own request with a usage it will not sign', () => {
    const action = decideCsr(csr(['digital signature', 'code signing']), parsed, 'cluster.local');
    assert.deepEqual(
      { kind: action.kind, reason: (action as { reason?: string }).reason },
      { kind: 'deny', reason: 'WeftUsageNotAllowed' },
    );
    assert.match((action as { message: string }).message, /code signing/);
  });

  it('fails an approved request with a usage it will not sign', () => {
    const action = decideCsr(csr(['code signing'], true), parsed, 'cluster.local');
    assert.equal(action.kind, 'fail');
  });
});
