// A workload's key and PKCS#10 request (RFC 2986) built with Node's crypto and the
// DER writer, for the sidecar's certificate agent: every pod makes one at start,
// and loading @peculiar/x509 for it cost ~0.8 s of a busy node's pod start. The
// request names nothing (empty subject, no attributes): the CA takes the identity
// from the verified ServiceAccount token, never from the request.
import { generateKeyPair as generateKeyPairCb, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { bits, ctx, nul, oid, seq, tlv, Tag } from './der.js';
import { KeyType } from './key-type.js';

const generate = promisify(generateKeyPairCb);

const SIGNATURE: Record<KeyType, Buffer> = {
  // ecdsa-with-SHA256 (RFC 5758 3.2): parameters absent.
  [KeyType.EcdsaP256]: seq(oid('1.2.840.10045.4.3.2')),
  // sha256WithRSAEncryption (RFC 4055 5): parameters NULL.
  [KeyType.Rsa2048]: seq(oid('1.2.840.113549.1.1.11'), nul()),
};

export interface WorkloadRequest {
  /** PEM "CERTIFICATE REQUEST". */
  readonly csrPem: string;
  /** PEM PKCS#8 "PRIVATE KEY", never leaves the process. */
  readonly keyPem: string;
}

function keyPair(type: KeyType): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return type === KeyType.Rsa2048
    ? generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 })
    : generate('ec', { namedCurve: 'prime256v1' });
}

const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/** A fresh key of `type` and a self-signed request for it. */
export async function createWorkloadRequest(
  type: KeyType = KeyType.EcdsaP256,
): Promise<WorkloadRequest> {
  const { publicKey, privateKey } = await keyPair(type);
  const info = seq(
    tlv(Tag.Integer, Uint8Array.of(0)), // version 1
    seq(), // subject: the empty Name
    publicKey.export({ type: 'spki', format: 'der' }),
    ctx(0, true), // attributes: none
  );
  // ECDSA signatures come out DER-encoded (ieee-p1363 is not the default).
  const signature = sign('sha256', info, privateKey);
  return {
    csrPem: pem('CERTIFICATE REQUEST', seq(info, SIGNATURE[type], bits(signature))),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
