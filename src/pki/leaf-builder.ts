// The CA's hot path: a workload leaf certificate built straight into DER and signed
// with Node's synchronous crypto. @peculiar/x509 (certificate-builder.ts) is ~10x
// slower per certificate here (bench:ca); it still builds roots and intermediates,
// and a test holds this builder byte-for-byte to what it would produce.
import { createHash, createPrivateKey, sign as signSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  bits,
  bool,
  children,
  content,
  ctx,
  expect,
  nul,
  oid,
  octets,
  read,
  readOid,
  seq,
  Tag,
  time,
  tlv,
  uint,
  whole,
} from './der.js';
import { ipOctets } from './ip.js';
import { KeyType } from './keys.js';
import type { ExtendedKeyUsage, SubjectAltNames } from './certificate-builder.js';
import { privateKeyToPem } from './keys.js';
import type { x509 } from './provider.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  rsaEncryption: '1.2.840.113549.1.1.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
} as const;

export interface LeafIssuer {
  /** The issuer certificate's subject Name, as DER. */
  readonly subjectDer: Uint8Array;
  /** SHA-1 of the issuer's subjectPublicKey (RFC 5280 4.2.1.2, method 1). */
  readonly keyId: Uint8Array;
  readonly key: KeyObject;
  readonly keyType: KeyType;
}

export interface LeafParams {
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The leaf key's SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  readonly sans: SubjectAltNames;
  readonly extendedKeyUsages: readonly ExtendedKeyUsage[];
}

/** The SHA-1 key identifier of a SubjectPublicKeyInfo's key bits. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, bitString] = children(spki, read(spki));
  const keyBits = content(spki, expect(bitString, Tag.BitString, 'subjectPublicKey')).subarray(1);
  return createHash('sha1').update(keyBits).digest();
}

function isRsaKey(spki: Uint8Array): boolean {
  const [alg] = children(spki, read(spki));
  const [algOid] = children(spki, expect(alg, Tag.Sequence, 'algorithm'));
  return readOid(spki, expect(algOid, Tag.Oid, 'algorithm OID')) === OID.rsaEncryption;
}

/** Reads what leaf building needs from an issuer certificate once, not per leaf. */
export async function prepareIssuer(
  cert: x509.X509Certificate,
  privateKey: CryptoKey,
  keyType: KeyType,
): Promise<LeafIssuer> {
  const raw = new Uint8Array(cert.rawData);
  const [tbs] = children(raw, read(raw));
  const fields = children(raw, expect(tbs, Tag.Sequence, 'tbsCertificate'));
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const subject = expect(fields[offset + 4], Tag.Sequence, 'subject');
  const spki = whole(raw, expect(fields[offset + 5], Tag.Sequence, 'subjectPublicKeyInfo'));
  return {
    subjectDer: whole(raw, subject),
    keyId: keyIdentifier(spki),
    key: createPrivateKey(await privateKeyToPem(privateKey)),
    keyType,
  };
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function generalNames(sans: SubjectAltNames): Buffer {
  return seq(
    ...(sans.uris ?? []).map((u) => ctx(6, false, Buffer.from(u, 'ascii'))),
    ...(sans.dnsNames ?? []).map((d) => ctx(2, false, Buffer.from(d, 'ascii'))),
    ...(sans.ips ?? []).map((ip) => ctx(7, false, ipOctets(ip))),
  );
}

function extensions(p: LeafParams, issuer: LeafIssuer): Buffer {
  // digitalSignature (bit 0), plus keyEncipherment (bit 2) for RSA leaf keys.
  const keyUsage = isRsaKey(p.spki)
    ? tlv(Tag.BitString, Uint8Array.of(5, 0xa0))
    : tlv(Tag.BitString, Uint8Array.of(7, 0x80));
  const exts = [
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.subjectKeyId, false, octets(keyIdentifier(p.spki))),
    extension(OID.authorityKeyId, false, seq(ctx(0, false, issuer.keyId))),
  ];
  if (p.extendedKeyUsages.length) {
    exts.push(extension(OID.extKeyUsage, false, seq(...p.extendedKeyUsages.map((u) => oid(u)))));
  }
  const { uris = [], dnsNames = [], ips = [] } = p.sans;
  if (uris.length + dnsNames.length + ips.length > 0) {
    // Critical because the subject is empty (RFC 5280 4.2.1.6).
    exts.push(extension(OID.subjectAltName, true, generalNames(p.sans)));
  }
  return ctx(3, true, seq(...exts));
}

/** Builds and signs a leaf certificate; returns its DER. Synchronous on purpose. */
export function buildLeafDer(p: LeafParams, issuer: LeafIssuer): Buffer {
  const rsa = issuer.keyType === KeyType.Rsa2048;
  const sigAlg = rsa ? seq(oid(OID.sha256WithRsa), nul()) : seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    ctx(0, true, uint(Uint8Array.of(2))),
    uint(Buffer.from(p.serialNumber, 'hex')),
    sigAlg,
    issuer.subjectDer,
    seq(time(p.notBefore), time(p.notAfter)),
    seq(), // empty subject: the identity is the SAN URI (SPIFFE X509-SVID)
    p.spki,
    extensions(p, issuer),
  );
  const signature = signSync('sha256', tbs, issuer.key);
  return seq(tbs, sigAlg, bits(signature));
}
