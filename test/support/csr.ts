// Builds PKCS#10 requests for tests, with whatever names a case needs.
import { KeyType, generateKeyPair, signingAlgorithmFor, x509 } from '../../src/pki/index.js';

export interface CsrNames {
  uris?: string[];
  dns?: string[];
  ips?: string[];
}

export async function makeCsr(
  names: CsrNames = {},
  type: KeyType = KeyType.EcdsaP256,
): Promise<{ pem: string; keys: CryptoKeyPair }> {
  const keys = await generateKeyPair(type);
  const items: x509.JsonGeneralName[] = [
    ...(names.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(names.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: signingAlgorithmFor(type),
    extensions: items.length ? [new x509.SubjectAlternativeNameExtension(items)] : [],
  });
  return { pem: csr.toString('pem'), keys };
}

/** The same request with one signature byte flipped: parses, but does not verify. */
export function tamperSignature(pem: string): string {
  const der = Buffer.from(x509.PemConverter.decode(pem)[0]!);
  der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
  return x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
}
