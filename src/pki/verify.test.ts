import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyType, buildCertificate, generateKeyPair, verifyChain } from './index.js';
import type { Signer, x509 } from './index.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2027-01-01T00:00:00Z');

async function ca(subject: string, parent?: Signer): Promise<Signer> {
  const keys = await generateKeyPair();
  const certificate = await buildCertificate(
    { subject, serialNumber: '01', notBefore: t0, notAfter: t1, publicKey: keys.publicKey, ca: {} },
    parent ?? { privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  return { certificate, privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 };
}

async function leaf(issuer: Signer, notAfter = t1): Promise<x509.X509Certificate> {
  const keys = await generateKeyPair();
  return buildCertificate(
    {
      subject: '',
      serialNumber: '02',
      notBefore: t0,
      notAfter,
      publicKey: keys.publicKey,
      sans: { uris: ['spiffe://td/ns/a/sa/b'] },
    },
    issuer,
  );
}

describe('verifyChain', () => {
  const at = new Date('2026-06-01T00:00:00Z');

  it('accepts leaf → intermediate → trusted root', async () => {
    const root = await ca('CN=root');
    const mid = await ca('CN=mid', root);
    const v = await verifyChain({
      leaf: await leaf(mid),
      intermediates: [mid.certificate!],
      roots: [root.certificate!],
      now: at,
    });
    assert.ok(v.ok);
    assert.ok(v.root.equal(root.certificate!));
  });

  it('refuses a chain to an untrusted root', async () => {
    const root = await ca('CN=root');
    const other = await ca('CN=root');
    const mid = await ca('CN=mid', root);
    const v = await verifyChain({
      leaf: await leaf(mid),
      intermediates: [mid.certificate!],
      roots: [other.certificate!],
      now: at,
    });
    assert.equal(v.ok, false);
  });

  it('refuses a missing intermediate', async () => {
    const root = await ca('CN=root');
    const mid = await ca('CN=mid', root);
    const v = await verifyChain({
      leaf: await leaf(mid),
      intermediates: [],
      roots: [root.certificate!],
      now: at,
    });
    assert.ok(!v.ok);
    assert.match(v.reason, /no trusted root or intermediate/);
  });

  it('refuses an expired leaf', async () => {
    const root = await ca('CN=root');
    const expired = await leaf(root, new Date('2026-02-01T00:00:00Z'));
    const v = await verifyChain({
      leaf: expired,
      intermediates: [],
      roots: [root.certificate!],
      now: at,
    });
    assert.ok(!v.ok);
    assert.match(v.reason, /expired/);
  });

  it('refuses a leaf used as an issuer', async () => {
    const root = await ca('CN=root');
    const l = await leaf(root);
    const keys = await generateKeyPair();
    // A certificate "signed" by a leaf's key: the leaf is not a CA, so no chain.
    const fake = await buildCertificate(
      {
        subject: 'CN=x',
        serialNumber: '03',
        notBefore: t0,
        notAfter: t1,
        publicKey: keys.publicKey,
      },
      { certificate: l, privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
    );
    const v = await verifyChain({
      leaf: fake,
      intermediates: [l],
      roots: [root.certificate!],
      now: at,
    });
    assert.equal(v.ok, false);
  });
});
