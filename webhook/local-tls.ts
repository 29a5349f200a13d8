// A serving certificate for `weft webhook` run on its own (development, a single
// replica): a throwaway in-memory CA that exists only in this process. The
// default install (`weft control-plane`) serves a certificate from weft's CA instead.
import {
  ExtendedKeyUsage,
  KeyType,
  buildCertificate,
  generateKeyPair,
  privateKeyToPem,
  randomSerial,
} from '../src/pki/index.js';
import type { ServingTls } from './main.js';

const DAY = 86_400_000;

export async function localServingTls(dnsNames: string[], ips: string[]): Promise<ServingTls> {
  const now = Date.now();
  const caKeys = await generateKeyPair(KeyType.EcdsaP256);
  const ca = await buildCertificate(
    {
      subject: 'CN=weft webhook local CA',
      serialNumber: randomSerial(),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * DAY),
      publicKey: caKeys.publicKey,
      ca: { pathLength: 0 },
    },
    { privateKey: caKeys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await buildCertificate(
    {
      subject: 'CN=weft-webhook',
      serialNumber: randomSerial(),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * DAY),
      publicKey: keys.publicKey,
      sans: { dnsNames, ips },
      extendedKeyUsages: [ExtendedKeyUsage.ServerAuth],
    },
    { certificate: ca, privateKey: caKeys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  return {
    cert: cert.toString('pem'),
    key: await privateKeyToPem(keys.privateKey),
    caPem: ca.toString('pem'),
  };
}
