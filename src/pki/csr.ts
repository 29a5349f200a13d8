// Parsing and checking PKCS#10 certificate requests (RFC 2986) on the CA's hot
// path: DER read directly, the self-signature checked with Node's crypto, and the
// key type limited to what weft issues for. What the request asks for is returned
// as data; deciding whether that is allowed is the caller's policy.
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ErrorCode, WeftError } from '../errors.js';
import type { Node } from './der.js';
import { DerError, Tag, children, content, expect, read, readOid, whole } from './der.js';
import { KeyType } from './keys.js';
import { x509 } from './provider.js';

export interface RequestedNames {
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly emails: readonly string[];
  readonly other: readonly string[];
}

export interface ParsedCsr {
  readonly keyType: KeyType;
  /** The requester's SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  readonly names: RequestedNames;
}

/** Largest PEM CSR accepted: an RSA-2048 request with a few SANs is about 1.2 KB. */
export const MAX_CSR_BYTES = 16 * 1024;

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const malformed = (message: string, cause?: unknown): WeftError =>
  new WeftError(ErrorCode.CsrMalformed, message, { cause });

function decodePem(pem: string): Uint8Array {
  if (pem.length > MAX_CSR_BYTES) throw malformed(`CSR is larger than ${MAX_CSR_BYTES} bytes`);
  if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    throw malformed('CSR must be a PEM "CERTIFICATE REQUEST" block');
  }
  const [der] = x509.PemConverter.decode(pem);
  if (!der || der.byteLength === 0) throw malformed('CSR PEM block is empty');
  return new Uint8Array(der);
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const PRIME256V1 = '1.2.840.10045.3.1.7';

/**
 * A P-256 key with an uncompressed point, imported through JWK: OpenSSL 3's DER
 * decoder costs about 2.4x more per key (156 µs against 65 µs here), and this runs
 * once per certificate request.
 */
function p256FromSpki(spki: Uint8Array): KeyObject | undefined {
  const [alg, bitString] = children(spki, read(spki));
  const [algOid, curveOid] = children(spki, expect(alg, Tag.Sequence, 'algorithm'));
  if (readOid(spki, expect(algOid, Tag.Oid, 'algorithm')) !== EC_PUBLIC_KEY) return undefined;
  if (curveOid?.tag !== Tag.Oid || readOid(spki, curveOid) !== PRIME256V1) return undefined;
  const point = content(spki, expect(bitString, Tag.BitString, 'subjectPublicKey')).subarray(1);
  if (point.length !== 65 || point[0] !== 0x04) return undefined;
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) },
    format: 'jwk',
  });
}

function publicKeyOf(spki: Uint8Array): { key: KeyObject; keyType: KeyType } {
  let key;
  try {
    const p256 = p256FromSpki(spki);
    if (p256) return { key: p256, keyType: KeyType.EcdsaP256 };
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw malformed('CSR public key is not a valid SubjectPublicKeyInfo', cause);
  }
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && d.modulusLength === 2048) {
    return { key, keyType: KeyType.Rsa2048 };
  }
  const detail = d.namedCurve ?? (d.modulusLength ? `${d.modulusLength} bits` : '');
  throw new WeftError(
    ErrorCode.CsrKeyUnsupported,
    `CSR key ${key.asymmetricKeyType ?? 'unknown'}${detail ? ` ${detail}` : ''} is not supported; use ECDSA P-256 or RSA 2048`,
  );
}

type MutableNames = { [K in keyof RequestedNames]: string[] };

const GENERAL_NAME: Record<number, (v: Uint8Array, into: MutableNames) => void> = {
  0x81: (v, n) => void n.emails.push(Buffer.from(v).toString('latin1')),
  0x82: (v, n) => void n.dnsNames.push(Buffer.from(v).toString('latin1')),
  0x86: (v, n) => void n.uris.push(Buffer.from(v).toString('latin1')),
  0x87: (v, n) => void n.ips.push(ipText(v)),
};

function ipText(v: Uint8Array): string {
  if (v.length === 4) return [...v].join('.');
  if (v.length === 16) {
    const groups = [];
    for (let i = 0; i < 16; i += 2) groups.push(((v[i]! << 8) | v[i + 1]!).toString(16));
    return groups.join(':');
  }
  return `invalid(${Buffer.from(v).toString('hex')})`;
}

function readSans(der: Uint8Array, value: Node, into: MutableNames): void {
  for (const name of children(der, expect(value, Tag.Sequence, 'GeneralNames'))) {
    const add = GENERAL_NAME[name.tag];
    if (add) add(content(der, name), into);
    else into.other.push(`name type [${name.tag & 0x1f}]`);
  }
}

/**
 * A request that standard parsers would read differently from weft. Go (the API
 * server, `kubectl describe csr`) and OpenSSL read only the first value of the first
 * extensionRequest; OpenSSL also reads the Microsoft attribute. A human approves what
 * those tools show, so anything they might read otherwise is refused, never guessed.
 */
const ambiguous = (message: string): WeftError =>
  new WeftError(ErrorCode.CsrMalformed, `CSR is ambiguous: ${message}`);

/** Attributes a CSR may carry (RFC 2985); any other is refused rather than ignored. */
const ALLOWED_ATTRIBUTES = new Set([
  EXTENSION_REQUEST,
  '1.2.840.113549.1.9.7', // challengePassword
  '1.2.840.113549.1.9.2', // unstructuredName
]);
const MS_EXTENSION_REQUEST = '1.3.6.1.4.1.311.2.1.14';

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function readExtension(der: Uint8Array, ext: Node): { id: string; value: Node } {
  const parts = children(der, expect(ext, Tag.Sequence, 'Extension'));
  if (parts.length === 3) expect(parts[1], Tag.Boolean, 'critical');
  else if (parts.length !== 2) throw new DerError('Extension: expected 2 or 3 fields');
  const id = readOid(der, expect(parts[0], Tag.Oid, 'extnID'));
  const octets = expect(parts[parts.length - 1], Tag.OctetString, 'extnValue');
  const value = read(der, octets.start);
  if (octets.start === octets.end || value.end !== octets.end) {
    throw new DerError(`extnValue of ${id}: not exactly one DER value`);
  }
  return { id, value };
}

function readExtensionRequest(der: Uint8Array, set: Node, into: MutableNames): void {
  const values = children(der, expect(set, Tag.Set, 'extensionRequest values'));
  if (values.length !== 1) {
    throw ambiguous(`extensionRequest must hold exactly one value, it holds ${values.length}`);
  }
  const seen = new Set<string>();
  for (const ext of children(der, expect(values[0], Tag.Sequence, 'Extensions'))) {
    const { id, value } = readExtension(der, ext);
    if (seen.has(id)) throw ambiguous(`extension ${id} appears twice`);
    seen.add(id);
    if (id === SUBJECT_ALT_NAME) readSans(der, value, into);
  }
}

function attributeType(der: Uint8Array, attr: Node): { id: string; values: Node } {
  const [type, values, extra] = children(der, expect(attr, Tag.Sequence, 'Attribute'));
  if (extra) throw new DerError('Attribute: trailing data');
  const id = readOid(der, expect(type, Tag.Oid, 'attribute type'));
  return { id, values: expect(values, Tag.Set, 'attribute values') };
}

function requestedNames(der: Uint8Array, attributes: Node | undefined): RequestedNames {
  const names: MutableNames = { uris: [], dnsNames: [], ips: [], emails: [], other: [] };
  if (!attributes) return names;
  const seen = new Set<string>();
  for (const attr of children(der, attributes)) {
    const { id, values } = attributeType(der, attr);
    if (seen.has(id)) throw ambiguous(`attribute ${id} appears more than once`);
    seen.add(id);
    if (id === MS_EXTENSION_REQUEST) {
      throw ambiguous(
        `extensions in the Microsoft attribute ${id} (OpenSSL reads them); use extensionRequest`,
      );
    }
    if (!ALLOWED_ATTRIBUTES.has(id)) throw ambiguous(`attribute ${id} is not accepted`);
    if (id === EXTENSION_REQUEST) readExtensionRequest(der, values, names);
  }
  return names;
}

interface Structure {
  readonly cri: Node;
  readonly spki: Uint8Array;
  readonly attributes: Node | undefined;
  readonly sigAlg: string;
  readonly signature: Uint8Array;
}

/** CertificationRequestInfo ::= SEQUENCE { version 0, subject, subjectPKInfo, [0] attributes }. */
function structure(der: Uint8Array): Structure {
  const [cri, alg, sig, extra] = children(
    der,
    expect(read(der), Tag.Sequence, 'CertificationRequest'),
  );
  if (extra) throw new DerError('trailing data after signature');
  const fields = children(der, expect(cri, Tag.Sequence, 'certificationRequestInfo'));
  const [version, subject, spki, attributes, more] = fields;
  expect(version, Tag.Integer, 'version');
  expect(subject, Tag.Sequence, 'subject');
  expect(spki, Tag.Sequence, 'subjectPKInfo');
  if (attributes) expect(attributes, 0xa0, 'attributes');
  if (more) throw new DerError('certificationRequestInfo: trailing fields');
  const [algOid] = children(der, expect(alg, Tag.Sequence, 'signatureAlgorithm'));
  const sigBits = content(der, expect(sig, Tag.BitString, 'signature'));
  return {
    cri: cri!,
    spki: whole(der, spki!),
    attributes,
    sigAlg: readOid(der, expect(algOid, Tag.Oid, 'signature algorithm')),
    signature: sigBits.subarray(1),
  };
}

/** Parses and checks a PEM CSR; throws a WeftError naming what is wrong. */
export function parseCsr(pem: string): ParsedCsr {
  const der = decodePem(pem);
  let parts;
  try {
    parts = structure(der);
  } catch (cause) {
    throw malformed('CSR is not a valid PKCS#10 request', cause);
  }
  const { cri, spki, attributes, sigAlg, signature } = parts;
  // One key object serves both the type check and the signature check (each
  // createPublicKey validates the point, the costliest step here).
  const { key, keyType } = publicKeyOf(spki);
  const hash = SIGNATURE_HASH[sigAlg];
  if (!hash) {
    throw new WeftError(
      ErrorCode.CsrSignatureInvalid,
      `CSR signature algorithm ${sigAlg} is not supported`,
    );
  }
  if (!verify(hash, whole(der, cri), key, signature)) {
    throw new WeftError(ErrorCode.CsrSignatureInvalid, 'CSR signature is invalid');
  }
  let names;
  try {
    names = requestedNames(der, attributes);
  } catch (cause) {
    if (cause instanceof WeftError) throw cause;
    throw malformed('CSR extensions are malformed', cause);
  }
  return { keyType, spki, names };
}
