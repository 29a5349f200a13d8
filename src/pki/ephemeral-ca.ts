// A CA that lives only in this process's memory: for a standalone webhook's
// serving certificate and for tests. Its key is never exported.
import { ExtendedKeyUsage, buildCertificate } from './certificate-builder.js';
import type { Signer, SubjectAltNames } from './certificate-builder.js';
import { KeyType, generateKeyPair, privateKeyToPem } from './keys.js';
import type { x509 } from './provider.js';
import { randomSerial } from './serial.js';

export interface EphemeralCa {
  readonly certPem: string;
  readonly signer: Signer;
  /** Signs `publicKey` as an end-entity certificate valid for the CA's lifetime. */
  sign(
    publicKey: CryptoKey,
    subject: string,
    sans?: SubjectAltNames,
    usages?: ExtendedKeyUsage[],
  ): Promise<x509.X509Certificate>;
  /** A fresh key and a serverAuth certificate for it, as PEM (for https.createServer). */
  serving(sans: SubjectAltNames): Promise<{ cert: string; key: string }>;
}

export async function createEphemeralCa(name: string, lifetimeMs: number): Promise<EphemeralCa> {
  const now = Date.now();
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + lifetimeMs);
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const certificate = await buildCertificate(
    {
      subject: `CN=${name}`,
      serialNumber: randomSerial(),
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      ca: { pathLength: 0 },
    },
    { privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  const signer: Signer = { certificate, privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 };
  const sign: EphemeralCa['sign'] = (publicKey, subject, sans, usages) =>
    buildCertificate(
      {
        subject,
        serialNumber: randomSerial(),
        notBefore,
        notAfter,
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
      const leaf = await generateKeyPair(KeyType.EcdsaP256);
      const cert = await sign(leaf.publicKey, `CN=${name} serving`, sans, [
        ExtendedKeyUsage.ServerAuth,
      ]);
      return { cert: cert.toString('pem'), key: await privateKeyToPem(leaf.privateKey) };
    },
  };
}
