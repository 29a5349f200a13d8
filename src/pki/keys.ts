// Key generation and PEM export. Private keys are generated where they are used
// and exported only by the process that owns them (the CA, into its Secret).
import { KeyType } from './key-type.js';
import { defaultCrypto, x509 } from './provider.js';

export { KeyType };

/** WebCrypto parameters for generating, importing and signing with each key type. */
export function algorithmFor(type: KeyType): RsaHashedKeyGenParams | EcKeyGenParams {
  if (type === KeyType.Rsa2048) {
    return {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    };
  }
  return { name: 'ECDSA', namedCurve: 'P-256' };
}

/** The signature algorithm a key of this type signs certificates with. */
export function signingAlgorithmFor(type: KeyType): Algorithm | EcdsaParams {
  return type === KeyType.Rsa2048
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : { name: 'ECDSA', hash: 'SHA-256' };
}

export async function generateKeyPair(
  type: KeyType = KeyType.EcdsaP256,
  crypto: Crypto = defaultCrypto,
): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(algorithmFor(type), true, ['sign', 'verify']);
}

/** PKCS#8 PEM ("PRIVATE KEY"), the form Go, OpenSSL and Node all read. */
export async function privateKeyToPem(
  key: CryptoKey,
  crypto: Crypto = defaultCrypto,
): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** SubjectPublicKeyInfo PEM ("PUBLIC KEY"). */
export async function publicKeyToPem(
  key: CryptoKey,
  crypto: Crypto = defaultCrypto,
): Promise<string> {
  const der = await crypto.subtle.exportKey('spki', key);
  return x509.PemConverter.encode(der, 'PUBLIC KEY');
}

export async function importPrivateKeyPem(
  pem: string,
  type: KeyType,
  crypto: Crypto = defaultCrypto,
): Promise<CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  if (!der) throw new Error('no PEM block found in private key');
  const alg =
    type === KeyType.Rsa2048
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  return crypto.subtle.importKey('pkcs8', der, alg, true, ['sign']);
}
