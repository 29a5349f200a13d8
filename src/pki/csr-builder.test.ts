import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { createWorkloadRequest } from './csr-builder.js';
import { parseCsr } from './csr.js';
import { children, read, whole } from './der.js';
import { KeyType } from './keys.js';
import { signingAlgorithmFor } from './keys.js';
import { x509 } from './provider.js';

/** CertificationRequestInfo: the signed part of a request, as DER. */
function infoOf(req: x509.Pkcs10CertificateRequest): Buffer {
  const der = new Uint8Array(req.rawData);
  return Buffer.from(whole(der, children(der, read(der))[0]!));
}

const spkiOf = (keyPem: string): Buffer =>
  createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });

/** The request @peculiar/x509 builds for the same key (what the agent used to send). */
async function x509Request(keyPem: string, type: KeyType): Promise<x509.Pkcs10CertificateRequest> {
  const alg =
    type === KeyType.Rsa2048
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, alg, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spkiOf(keyPem), alg, true, ['verify']);
  return x509.Pkcs10CertificateRequestGenerator.create({
    keys: { privateKey, publicKey },
    signingAlgorithm: signingAlgorithmFor(type),
  });
}

describe('createWorkloadRequest', () => {
  for (const type of [KeyType.EcdsaP256, KeyType.Rsa2048]) {
    it(`${type}: the CA's parser verifies it and reads the key`, async () => {
      const { csrPem, keyPem } = await createWorkloadRequest(type);
      const parsed = parseCsr(csrPem);
      assert.equal(parsed.keyType, type);
      assert.deepEqual(Buffer.from(parsed.spki), spkiOf(keyPem));
      assert.deepEqual(parsed.names.uris, []);
    });

    it(`${type}: byte-for-byte the request info @peculiar/x509 builds, and it verifies there`, async () => {
      const { csrPem, keyPem } = await createWorkloadRequest(type);
      const ours = new x509.Pkcs10CertificateRequest(csrPem);
      assert.equal(await ours.verify(), true);
      const theirs = await x509Request(keyPem, type);
      assert.deepEqual(infoOf(ours), infoOf(theirs));
      assert.equal(ours.signatureAlgorithm.name, theirs.signatureAlgorithm.name);
      assert.equal(ours.subject, '');
    });
  }
});
