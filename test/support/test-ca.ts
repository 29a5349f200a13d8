// A throwaway CA for tests that need to serve HTTPS or sign something: issues
// certificates with weft's own src/pki, keys kept in memory.
import {
  ExtendedKeyUsage,
  KeyType,
  buildCertificate,
  generateKeyPair,
  privateKeyToPem,
  randomSerial,
} from '../../src/pki/index.js';
import type { Signer, SubjectAltNames, x509 } from '../../src/pki/index.js';

const HOUR = 3600_000;

export interface TestCa {
  readonly certPem: string;
  readonly signer: Signer;
  /** Signs `publicKey` as an end-entity certificate. */
  sign(
    publicKey: CryptoKey,
    subject: string,
    sans?: SubjectAltNames,
    usages?: ExtendedKeyUsage[],
  ): Promise<x509.X509Certificate>;
  /** A fresh key and a serving certificate for it, as PEM (for https.createServer). */
  serving(sans: SubjectAltNames): Promise<{ cert: string; key: string }>;
}

export async function createTestCa(name = 'weft-test-ca'): Promise<TestCa> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const now = Date.now();
  const certificate = await buildCertificate(
    {
      subject: `CN=${name}`,
      serialNumber: randomSerial(),
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + 24 * HOUR),
      publicKey: keys.publicKey,
      ca: {},
    },
    { privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  const signer: Signer = { certificate, privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 };
  const sign: TestCa['sign'] = (publicKey, subject, sans, usages) =>
    buildCertificate(
      {
        subject,
        serialNumber: randomSerial(),
        notBefore: new Date(Date.now() - HOUR),
        notAfter: new Date(Date.now() + HOUR),
        publicKey,
        ...(sans ? { sans } : {}),
        ...(usages ? { extendedKeyUsages: usages } : {}),
      },
      signer,
    );
  return {
    certPem: certificate.toString('pem'),
    signer,
    sign,
    async serving(sans) {
      const leafKeys = await generateKeyPair(KeyType.EcdsaP256);
      const cert = await sign(leafKeys.publicKey, 'CN=weft-test-server', sans, [
        ExtendedKeyUsage.ServerAuth,
      ]);
      return { cert: cert.toString('pem'), key: await privateKeyToPem(leafKeys.privateKey) };
    },
  };
}
