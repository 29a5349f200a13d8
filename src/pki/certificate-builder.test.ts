import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExtendedKeyUsage, KeyType, buildCertificate, generateKeyPair, x509 } from './index.js';
import type { Signer } from './index.js';

const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2026-01-02T00:00:00Z');

async function root(type: KeyType): Promise<Signer> {
  const keys = await generateKeyPair(type);
  const certificate = await buildCertificate(
    {
      subject: 'CN=root',
      serialNumber: '01',
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      ca: { pathLength: 1 },
    },
    { privateKey: keys.privateKey, keyType: type },
  );
  return { certificate, privateKey: keys.privateKey, keyType: type };
}

describe('buildCertificate', () => {
  for (const type of [KeyType.EcdsaP256, KeyType.Rsa2048]) {
    it(`self-signs a CA certificate (${type})`, async () => {
      const ca = await root(type);
      const cert = ca.certificate!;
      assert.equal(cert.subject, 'CN=root');
      assert.equal(cert.issuer, 'CN=root');
      assert.equal(cert.serialNumber, '01');
      assert.equal(cert.notBefore.toISOString(), notBefore.toISOString());
      assert.equal(cert.notAfter.toISOString(), notAfter.toISOString());
      const bc = cert.getExtension(x509.BasicConstraintsExtension);
      assert.equal(bc?.ca, true);
      assert.equal(bc?.pathLength, 1);
      assert.equal(await cert.verify({ signatureOnly: true }), true);
    });
  }

  it('issues a leaf with exactly the SANs asked for, verifiable by its issuer', async () => {
    const ca = await root(KeyType.EcdsaP256);
    const keys = await generateKeyPair();
    const leaf = await buildCertificate(
      {
        subject: 'CN=',
        serialNumber: '7f01',
        notBefore,
        notAfter,
        publicKey: keys.publicKey,
        sans: { uris: ['spiffe://cluster.local/ns/a/sa/b'], ips: ['127.0.0.1'] },
        extendedKeyUsages: [ExtendedKeyUsage.ServerAuth, ExtendedKeyUsage.ClientAuth],
      },
      ca,
    );
    assert.equal(leaf.issuer, 'CN=root');
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san?.names.items.map((n) => [n.type, n.value]),
      [
        ['url', 'spiffe://cluster.local/ns/a/sa/b'],
        ['ip', '127.0.0.1'],
      ],
    );
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
    assert.deepEqual(
      [...(eku?.usages ?? [])],
      [ExtendedKeyUsage.ServerAuth, ExtendedKeyUsage.ClientAuth],
    );
    assert.equal(
      await leaf.verify({ publicKey: ca.certificate!.publicKey, signatureOnly: true }),
      true,
    );
    const other = await root(KeyType.EcdsaP256);
    assert.equal(
      await leaf.verify({ publicKey: other.certificate!.publicKey, signatureOnly: true }),
      false,
    );
  });
});
