// CSR DER/PEM (src/pki/csr.ts), on both of the CA's issuing paths: anyone with a
// ServiceAccount token (or CSR-create rights) writes these bytes. Requests are
// built here from DER pieces and signed, so mutations reach past the signature
// check into the attribute and extension parsing; raw garbage, truncations and
// flipped bytes cover the rest. Invariant: a ParsedCsr, or csr_malformed,
// csr_signature_invalid or csr_key_unsupported; nothing else escapes.
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { ErrorCode } from '../../../src/errors.js';
import { parseCsr } from '../../../src/pki/csr.js';
import { Tag, bits, ctx, octets, oid, seq, tlv, uint } from '../../../src/pki/der.js';
import type { FuzzTarget } from '../target.js';
import { parsesOrRefuses } from '../target.js';

const OID = {
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  san: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  rsaSha256: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
} as const;

interface Signer {
  readonly spki: Buffer;
  readonly key: KeyObject;
  readonly alg: string;
}

function signer(type: 'ec' | 'rsa', bitsOrCurve: number | string): Signer {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: bitsOrCurve as string })
      : generateKeyPairSync('rsa', { modulusLength: bitsOrCurve as number });
  return {
    spki: pair.publicKey.export({ type: 'spki', format: 'der' }),
    key: pair.privateKey,
    alg: type === 'ec' ? OID.ecdsaSha256 : OID.rsaSha256,
  };
}

// Keys are made once per process: the fuzzing is in the structure, not the key.
let signers: { p256: Signer; p384: Signer; rsa2048: Signer; rsa1024: Signer } | undefined;
function keys(): NonNullable<typeof signers> {
  return (signers ??= {
    p256: signer('ec', 'prime256v1'),
    p384: signer('ec', 'secp384r1'),
    rsa2048: signer('rsa', 2048),
    rsa1024: signer('rsa', 1024),
  });
}

/** Arbitrary DER-ish trees: well-formed TLVs with any tag, nested a few levels. */
const { tree } = fc.letrec<{ tree: Buffer }>((self) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 24 }))
      .map(([tag, body]) => tlv(tag & 0xdf, body)),
    fc
      .tuple(
        fc.constantFrom(Tag.Sequence, Tag.Set, 0xa0, 0xa3, Tag.OctetString),
        fc.array(self('tree'), { maxLength: 4 }),
      )
      .map(([tag, items]) => tlv(tag, ...items)),
  ),
}));

const ia5 = fc.oneof(
  fc.constantFrom(
    'spiffe://cluster.local/ns/shop/sa/web',
    'spiffe://cluster.local/ns/weft-system/sa/weft-control-plane',
    'spiffe://evil/ns/x/sa/y',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const generalName = fc.oneof(
  ia5.map((s) => ctx(6, false, Buffer.from(s, 'latin1'))), // URI
  ia5.map((s) => ctx(2, false, Buffer.from(s, 'latin1'))), // dNSName
  ia5.map((s) => ctx(1, false, Buffer.from(s, 'latin1'))), // rfc822Name
  fc.uint8Array({ maxLength: 17 }).map((b) => ctx(7, false, b)), // iPAddress, any length
  tree.map((t) => ctx(0, true, t)), // otherName
  tree,
);
const sanValue = fc.oneof(
  { weight: 4, arbitrary: fc.array(generalName, { maxLength: 4 }).map((g) => seq(...g)) },
  tree,
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
);
const extension = fc.oneof(
  { weight: 3, arbitrary: sanValue.map((v) => seq(oid(OID.san), octets(v))) },
  sanValue.map((v) => seq(oid(OID.san), tlv(Tag.Boolean, Uint8Array.of(0xff)), octets(v))),
  tree.map((v) => seq(oid(OID.basicConstraints), octets(v))),
  sanValue.map((v) => seq(oid(OID.san), v)), // extnValue not an OCTET STRING
  tree,
);
const extensions = fc.array(extension, { maxLength: 3 }).map((e) => seq(...e));
const attribute = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(extensions, { minLength: 1, maxLength: 3 })
      .map((values) => seq(oid(OID.extensionRequest), tlv(Tag.Set, ...values))),
  },
  tree.map((v) => seq(oid(OID.challengePassword), tlv(Tag.Set, v))),
  extensions.map((v) => seq(oid(OID.extensionRequest), v)), // values not a SET
  tree,
);
const subject = fc.oneof(
  fc.constant(seq()),
  ia5.map((cn) =>
    seq(tlv(Tag.Set, seq(oid(OID.commonName), tlv(Tag.Utf8String, Buffer.from(cn, 'latin1'))))),
  ),
  tree,
);

type KeyChoice = 'p256' | 'p384' | 'rsa2048' | 'rsa1024' | 'garbage' | 'missing';

interface Shape {
  version: Buffer;
  subject: Buffer;
  key: KeyChoice;
  garbageKey: Buffer;
  attributes: Buffer[] | undefined;
  sigAlg: 'right' | 'other' | 'garbage';
  signCorrectly: boolean;
  trailing: Buffer | undefined;
  mutation: { at: number; kind: 'flip' | 'truncate' | 'none'; byte: number };
}

const shape: fc.Arbitrary<Shape> = fc.record({
  version: fc.oneof(fc.constant(uint(Uint8Array.of(0))), tree),
  subject,
  key: fc.constantFrom<KeyChoice>(
    'p256',
    'p256',
    'p256',
    'rsa2048',
    'p384',
    'rsa1024',
    'garbage',
    'missing',
  ),
  garbageKey: tree,
  attributes: fc.option(fc.array(attribute, { maxLength: 3 }), { nil: undefined }),
  sigAlg: fc.constantFrom('right', 'right', 'right', 'other', 'garbage'),
  signCorrectly: fc.boolean(),
  trailing: fc.option(tree, { nil: undefined, freq: 8 }),
  mutation: fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('none', 'none', 'flip', 'truncate'),
    byte: fc.integer({ min: 1, max: 255 }),
  }),
});

function build(s: Shape): Buffer {
  const k = s.key === 'garbage' || s.key === 'missing' ? keys().p256 : keys()[s.key];
  const spki = s.key === 'garbage' ? s.garbageKey : s.key === 'missing' ? undefined : k.spki;
  const cri = seq(
    s.version,
    s.subject,
    ...(spki ? [spki] : []),
    ...(s.attributes ? [ctx(0, true, ...s.attributes)] : []),
  );
  const algOid =
    s.sigAlg === 'right' ? k.alg : s.sigAlg === 'other' ? '1.2.840.113549.1.1.5' : '1.2.3';
  const signature = s.signCorrectly ? sign('sha256', cri, k.key) : Buffer.alloc(64, 1);
  let der = seq(cri, seq(oid(algOid)), bits(signature), ...(s.trailing ? [s.trailing] : []));
  const at = der.length ? s.mutation.at % der.length : 0;
  if (s.mutation.kind === 'flip') der[at] = (der[at] ?? 0) ^ s.mutation.byte;
  if (s.mutation.kind === 'truncate') der = der.subarray(0, at);
  return der;
}

const pem = (der: Uint8Array, label = 'CERTIFICATE REQUEST'): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;

const input: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: shape.map((s) => pem(build(s))) },
  tree.map((t) => pem(t)),
  fc.uint8Array({ maxLength: 200 }).map((b) => pem(b)),
  fc
    .tuple(shape, fc.constantFrom('CERTIFICATE', 'CERTIFICATE REQUEST ', 'PRIVATE KEY'))
    .map(([s, label]) => `-----BEGIN CERTIFICATE REQUEST-----\n` + pem(build(s), label)),
  shape.map((s) => pem(build(s)).replace(/\n/g, '\r\n  ')),
  shape.map((s) => pem(build(s)) + pem(build(s))),
  fc.string({ maxLength: 100 }).map((t) => `-----BEGIN CERTIFICATE REQUEST-----${t}`),
);

export const csrTarget: FuzzTarget<string> = {
  name: 'csr',
  weight: 1,
  quickRuns: 300,
  maxMsPerInput: 100,
  arbitrary: input,
  check(text) {
    parsesOrRefuses(
      () => parseCsr(text),
      [ErrorCode.CsrMalformed, ErrorCode.CsrSignatureInvalid, ErrorCode.CsrKeyUnsupported],
    );
  },
};
