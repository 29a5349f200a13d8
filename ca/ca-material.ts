// The CA's key material and its Secret form. Generation takes an injected clock
// and serial source; parsing checks the Secret and names the key that is wrong.
import type { SerialSource, x509 } from '../src/pki/index.js';
import {
  KeyType,
  buildCertificate,
  generateKeyPair,
  importPrivateKeyPem,
  joinPem,
  parseCertificates,
  privateKeyToPem,
  randomSerial,
} from '../src/pki/index.js';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Authority, Clock } from './authority.js';
import { systemClock } from './authority.js';

/** Keys of the CA Secret (documented in the README as the plug-in-your-own-CA format). */
export const SecretKey = {
  Roots: 'roots.pem',
  Issuer: 'issuer.crt',
  IssuerKey: 'issuer.key',
  Chain: 'chain.pem',
  RootKey: 'root.key',
  /** A root staged by `rotate-root add`, trusted but not yet issuing. */
  NextRoot: 'next-root.crt',
  NextRootKey: 'next-root.key',
} as const;

export type SecretData = Partial<Record<(typeof SecretKey)[keyof typeof SecretKey], string>>;

export interface Material {
  readonly authority: Authority;
  /** Present only for roots weft generated itself; needed to rotate. */
  readonly rootKey?: CryptoKey;
}

const DAY = 86_400_000;
export const ROOT_LIFETIME_DAYS = 3650;
export const ISSUER_LIFETIME_DAYS = 365;

export interface GenerateOptions {
  readonly trustDomain: string;
  readonly clock?: Clock;
  readonly serial?: SerialSource;
  /** Reuse an existing root (rotation switches issuers under a new root this way). */
  readonly root?: { certificate: x509.X509Certificate; key: CryptoKey };
}

export async function generateRoot(
  opts: GenerateOptions,
): Promise<{ certificate: x509.X509Certificate; key: CryptoKey }> {
  const now = (opts.clock ?? systemClock).now().getTime();
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const certificate = await buildCertificate(
    {
      subject: `CN=weft root CA ${new Date(now).toISOString().slice(0, 10)}, O=${opts.trustDomain}`,
      serialNumber: (opts.serial ?? randomSerial)(),
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + ROOT_LIFETIME_DAYS * DAY),
      publicKey: keys.publicKey,
      ca: { pathLength: 1 },
    },
    { privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  return { certificate, key: keys.privateKey };
}

/** A root (new unless given) and an intermediate under it that signs workloads. */
export async function generateMaterial(opts: GenerateOptions): Promise<Material> {
  const root = opts.root ?? (await generateRoot(opts));
  const now = (opts.clock ?? systemClock).now().getTime();
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const notAfter = Math.min(now + ISSUER_LIFETIME_DAYS * DAY, root.certificate.notAfter.getTime());
  const issuer = await buildCertificate(
    {
      subject: `CN=weft workload issuer, O=${opts.trustDomain}`,
      serialNumber: (opts.serial ?? randomSerial)(),
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(notAfter),
      publicKey: keys.publicKey,
      ca: { pathLength: 0 },
    },
    { certificate: root.certificate, privateKey: root.key, keyType: KeyType.EcdsaP256 },
  );
  return {
    authority: {
      issuer,
      issuerKey: keys.privateKey,
      issuerKeyType: KeyType.EcdsaP256,
      chain: [root.certificate],
      roots: [root.certificate],
    },
    rootKey: root.key,
  };
}

export async function toSecretData(material: Material): Promise<SecretData> {
  const a = material.authority;
  const data: SecretData = {
    [SecretKey.Roots]: joinPem(a.roots),
    [SecretKey.Issuer]: joinPem([a.issuer]),
    [SecretKey.IssuerKey]: await privateKeyToPem(a.issuerKey),
    [SecretKey.Chain]: joinPem(a.chain),
  };
  if (material.rootKey) data[SecretKey.RootKey] = await privateKeyToPem(material.rootKey);
  return data;
}

function bad(key: string, problem: string, cause?: unknown): WeftError {
  return new WeftError(ErrorCode.ConfigInvalid, `CA secret: ${key} ${problem}`, { cause });
}

function certs(data: SecretData, key: string, required: boolean): x509.X509Certificate[] {
  const text = data[key as keyof SecretData];
  if (!text) {
    if (required) throw bad(key, 'is missing');
    return [];
  }
  try {
    const parsed = parseCertificates(text);
    if (required && parsed.length === 0) throw new Error('no CERTIFICATE block');
    return parsed;
  } catch (cause) {
    throw bad(key, 'does not hold valid PEM certificates', cause);
  }
}

function keyTypeOfCert(cert: x509.X509Certificate): KeyType {
  const alg = cert.publicKey.algorithm as Algorithm & { namedCurve?: string };
  if (alg.name === 'ECDSA' && alg.namedCurve === 'P-256') return KeyType.EcdsaP256;
  if (alg.name.startsWith('RSA')) return KeyType.Rsa2048;
  throw bad(SecretKey.Issuer, `has an unsupported key (${alg.name})`);
}

async function importKey(data: SecretData, key: string, type: KeyType): Promise<CryptoKey> {
  const pem = data[key as keyof SecretData];
  if (!pem) throw bad(key, 'is missing');
  try {
    return await importPrivateKeyPem(pem, type);
  } catch (cause) {
    throw bad(key, 'is not a PKCS#8 private key of the issuer’s type', cause);
  }
}

/** Checks that the issuer chains to one of the roots. */
async function checkChain(authority: Authority): Promise<void> {
  // A self-signed issuer (a root used directly) has nothing above it.
  const path = [authority.issuer, ...authority.chain];
  for (let i = 0; i + 1 < path.length; i++) {
    const ok = await path[i]!.verify({ publicKey: path[i + 1]!.publicKey, signatureOnly: true });
    if (!ok) throw bad(SecretKey.Chain, `does not sign ${path[i]!.subject}`);
  }
  const top = path[path.length - 1]!;
  if (!authority.roots.some((r) => r.equal(top))) {
    throw bad(SecretKey.Roots, `does not contain the chain's root ${top.subject}`);
  }
}

export async function fromSecretData(data: SecretData): Promise<Material> {
  const [issuer] = certs(data, SecretKey.Issuer, true);
  const issuerKeyType = keyTypeOfCert(issuer!);
  const roots = certs(data, SecretKey.Roots, true);
  const chain = certs(data, SecretKey.Chain, false);
  const authority: Authority = {
    issuer: issuer!,
    issuerKey: await importKey(data, SecretKey.IssuerKey, issuerKeyType),
    issuerKeyType,
    chain,
    roots,
  };
  await checkChain(authority);
  const rootKey = data[SecretKey.RootKey]
    ? await importKey(data, SecretKey.RootKey, KeyType.EcdsaP256)
    : undefined;
  return rootKey ? { authority, rootKey } : { authority };
}
