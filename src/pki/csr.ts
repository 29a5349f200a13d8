// Parsing and checking PKCS#10 certificate requests: the request must parse, carry
// a valid self-signature, and use a key type weft issues for. What it asks for is
// returned as data; deciding whether that is allowed is the caller's policy.
import { ErrorCode, WeftError } from '../errors.js';
import { KeyType, algorithmFor } from './keys.js';
import { defaultCrypto, x509 } from './provider.js';

export interface RequestedNames {
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly emails: readonly string[];
  readonly other: readonly string[];
}

export interface ParsedCsr {
  readonly keyType: KeyType;
  readonly publicKey: CryptoKey;
  readonly names: RequestedNames;
  readonly subject: string;
}

/** Largest PEM CSR accepted: an RSA-2048 request with a few SANs is about 1.2 KB. */
export const MAX_CSR_BYTES = 16 * 1024;

function keyTypeOf(alg: Algorithm & { namedCurve?: string; modulusLength?: number }): KeyType {
  if (alg.name === 'ECDSA' && alg.namedCurve === 'P-256') return KeyType.EcdsaP256;
  if (alg.name === 'RSASSA-PKCS1-v1_5' && alg.modulusLength === 2048) return KeyType.Rsa2048;
  const detail = alg.namedCurve ?? (alg.modulusLength ? `${alg.modulusLength} bits` : '');
  throw new WeftError(
    ErrorCode.CsrKeyUnsupported,
    `CSR key ${alg.name}${detail ? ` ${detail}` : ''} is not supported; use ECDSA P-256 or RSA 2048`,
  );
}

function requestedNames(csr: x509.Pkcs10CertificateRequest): RequestedNames {
  const names = { uris: [], dnsNames: [], ips: [], emails: [], other: [] } as {
    [K in keyof RequestedNames]: string[];
  };
  for (const ext of csr.extensions) {
    if (!(ext instanceof x509.SubjectAlternativeNameExtension)) continue;
    for (const n of ext.names.items) {
      if (n.type === 'url') names.uris.push(n.value);
      else if (n.type === 'dns') names.dnsNames.push(n.value);
      else if (n.type === 'ip') names.ips.push(n.value);
      else if (n.type === 'email') names.emails.push(n.value);
      else names.other.push(`${n.type}:${n.value}`);
    }
  }
  return names;
}

function decode(pem: string): x509.Pkcs10CertificateRequest {
  if (pem.length > MAX_CSR_BYTES) {
    throw new WeftError(ErrorCode.CsrMalformed, `CSR is larger than ${MAX_CSR_BYTES} bytes`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw new WeftError(ErrorCode.CsrMalformed, 'CSR must be a PEM "CERTIFICATE REQUEST" block');
  }
  try {
    return new x509.Pkcs10CertificateRequest(pem);
  } catch (cause) {
    throw new WeftError(ErrorCode.CsrMalformed, 'CSR is not a valid PKCS#10 request', { cause });
  }
}

export async function parseCsr(pem: string, crypto: Crypto = defaultCrypto): Promise<ParsedCsr> {
  const csr = decode(pem);
  const keyType = keyTypeOf(csr.publicKey.algorithm);
  let valid = false;
  try {
    valid = await csr.verify(crypto);
  } catch (cause) {
    throw new WeftError(ErrorCode.CsrSignatureInvalid, 'CSR signature could not be checked', {
      cause,
    });
  }
  if (!valid) throw new WeftError(ErrorCode.CsrSignatureInvalid, 'CSR signature is invalid');
  const publicKey = await csr.publicKey.export(algorithmFor(keyType), ['verify'], crypto);
  return { keyType, publicKey, names: requestedNames(csr), subject: csr.subject };
}
