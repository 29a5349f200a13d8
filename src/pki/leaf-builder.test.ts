// The hand-written DER leaf builder must say exactly what @peculiar/x509 says for
// the same inputs: compared on the to-be-signed bytes (ECDSA signatures are random),
// and checked to verify under the issuer's key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { children, read, whole } from './der.js';
import {
  ExtendedKeyUsage,
  KeyType,
  buildCertificate,
  buildLeafDer,
  generateKeyPair,
  parseCsr,
  prepareIssuer,
  x509,
} from './index.js';
import type { Signer } from './index.js';

const notBefore = new Date('2026-05-01T10:00:00Z');
const notAfter = new Date('2026-05-02T10:00:00Z');
const sans = {
  uris: ['spiffe://cluster.local/ns/weft-system/sa/weft-control-plane'],
  dnsNames: ['weft-ca.weft-system.svc'],
  ips: ['127.0.0.1', '::1'],
};
const ekus = [ExtendedKeyUsage.ServerAuth, ExtendedKeyUsage.ClientAuth];

const tbsOf = (der: Uint8Array): string =>
  Buffer.from(whole(der, children(der, read(der))[0]!)).toString('hex');

async function issuerOf(type: KeyType): Promise<Signer> {
  const keys = await generateKeyPair(type);
  const certificate = await buildCertificate(
    {
      subject: 'CN=issuer, O=weft',
      serialNumber: '05',
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      ca: { pathLength: 0 },
    },
    { privateKey: keys.privateKey, keyType: type },
  );
  return { certificate, privateKey: keys.privateKey, keyType: type };
}

describe('buildLeafDer matches @peculiar/x509', () => {
  for (const issuerType of [KeyType.EcdsaP256, KeyType.Rsa2048]) {
    for (const leafType of [KeyType.EcdsaP256, KeyType.Rsa2048]) {
      it(`${leafType} leaf from a ${issuerType} issuer`, async () => {
        const issuer = await issuerOf(issuerType);
        const leafKeys = await generateKeyPair(leafType);
        const spki = new Uint8Array(await crypto.subtle.exportKey('spki', leafKeys.publicKey));
        const params = { serialNumber: '7a01', notBefore, notAfter, sans, extendedKeyUsages: ekus };
        const ours = buildLeafDer(
          { ...params, spki },
          await prepareIssuer(issuer.certificate!, issuer.privateKey, issuerType),
        );
        const reference = await buildCertificate(
          { ...params, subject: '', publicKey: leafKeys.publicKey },
          issuer,
        );
        assert.equal(tbsOf(ours), tbsOf(new Uint8Array(reference.rawData)));
        const parsed = new x509.X509Certificate(new Uint8Array(ours));
        assert.ok(
          await parsed.verify({ publicKey: issuer.certificate!.publicKey, signatureOnly: true }),
        );
      });
    }
  }
});

describe('parseCsr', () => {
  it('reads the key type, key and every requested name', async () => {
    const keys = await generateKeyPair(KeyType.Rsa2048);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: 'spiffe://td/ns/a/sa/b' },
          { type: 'dns', value: 'a.example' },
          { type: 'ip', value: '10.0.0.1' },
          { type: 'email', value: 'x@y.z' },
        ]),
      ],
    });
    const parsed = parseCsr(csr.toString('pem'));
    assert.equal(parsed.keyType, KeyType.Rsa2048);
    assert.deepEqual(parsed.names, {
      uris: ['spiffe://td/ns/a/sa/b'],
      dnsNames: ['a.example'],
      ips: ['10.0.0.1'],
      emails: ['x@y.z'],
      other: [],
    });
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
    assert.deepEqual(Buffer.from(parsed.spki), spki);
  });

  it('refuses an unsupported key (P-384) by name', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
      'sign',
      'verify',
    ]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    });
    assert.throws(
      () => parseCsr(csr.toString('pem')),
      /secp384r1 is not supported; use ECDSA P-256 or RSA 2048/,
    );
  });

  it('refuses truncated DER as malformed, not as a crash', () => {
    const pem =
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAQ==\n-----END CERTIFICATE REQUEST-----\n';
    assert.throws(
      () => parseCsr(pem),
      (e: { code: string }) => e.code === 'csr_malformed',
    );
  });
});
