// A workload leaf (server and client auth) for a SPIFFE ID from a test CA, as PEM:
// what the in-process mTLS suites give each end.
import {
  ExtendedKeyUsage,
  KeyType,
  generateKeyPair,
  privateKeyToPem,
} from '../../src/pki/index.js';
import type { EphemeralCa } from '../../src/pki/index.js';

export async function testLeaf(
  ca: EphemeralCa,
  uri: string,
): Promise<{ cert: string; key: string }> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await ca.sign(keys.publicKey, '', { uris: [uri] }, [
    ExtendedKeyUsage.ServerAuth,
    ExtendedKeyUsage.ClientAuth,
  ]);
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}
