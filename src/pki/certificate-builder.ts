// Certificate building: pure inputs (subject, keys, validity, serial, SANs) in, a
// signed X.509 certificate out. Clock and serial come from the caller so that the
// CA and tests decide them; nothing here reads the time or draws randomness.
import { defaultCrypto, x509 } from './provider.js';
import type { KeyType } from './keys.js';
import { signingAlgorithmFor } from './keys.js';

export const ExtendedKeyUsage = {
  ServerAuth: '1.3.6.1.5.5.7.3.1',
  ClientAuth: '1.3.6.1.5.5.7.3.2',
} as const;
export type ExtendedKeyUsage = (typeof ExtendedKeyUsage)[keyof typeof ExtendedKeyUsage];

export interface SubjectAltNames {
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export interface CertificateParams {
  /** Distinguished name, e.g. `CN=weft root CA, O=weft`. */
  readonly subject: string;
  /** Hex serial number, positive (high bit clear). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: CryptoKey;
  /** A CA certificate (path length constraint given) or an end-entity one (undefined). */
  readonly ca?: { readonly pathLength?: number };
  readonly sans?: SubjectAltNames;
  readonly extendedKeyUsages?: readonly ExtendedKeyUsage[];
}

export interface Signer {
  readonly certificate?: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  readonly keyType: KeyType;
}

function sanExtension(sans: SubjectAltNames): x509.Extension | undefined {
  const names: x509.JsonGeneralName[] = [
    ...(sans.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(sans.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(sans.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length === 0) return undefined;
  // RFC 5280 4.2.1.6: critical when the subject is empty, as SPIFFE leaves are.
  return new x509.SubjectAlternativeNameExtension(names, true);
}

async function extensionsFor(
  params: CertificateParams,
  signer: Signer,
  crypto: Crypto,
): Promise<x509.Extension[]> {
  const ca = params.ca;
  const usage = ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature |
      (params.publicKey.algorithm.name.startsWith('RSA') ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!ca, ca?.pathLength, true),
    new x509.KeyUsagesExtension(usage, true),
    await x509.SubjectKeyIdentifierExtension.create(params.publicKey, false, crypto),
  ];
  if (signer.certificate) {
    extensions.push(
      await x509.AuthorityKeyIdentifierExtension.create(signer.certificate, false, crypto),
    );
  }
  if (params.extendedKeyUsages?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...params.extendedKeyUsages], false));
  }
  const san = params.sans ? sanExtension(params.sans) : undefined;
  if (san) extensions.push(san);
  return extensions;
}

/**
 * Signs a certificate for `params.publicKey` with `signer`. A signer without a
 * certificate makes the result self-signed (issuer = subject), as for a root.
 */
export async function buildCertificate(
  params: CertificateParams,
  signer: Signer,
  crypto: Crypto = defaultCrypto,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: params.serialNumber,
      subject: params.subject,
      issuer: signer.certificate?.subject ?? params.subject,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
      publicKey: params.publicKey,
      signingKey: signer.privateKey,
      signingAlgorithm: signingAlgorithmFor(signer.keyType),
      extensions: await extensionsFor(params, signer, crypto),
    },
    crypto,
  );
}
