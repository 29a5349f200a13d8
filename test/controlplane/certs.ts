// Fresh PKI for one control-plane run: a CA, the API server's serving certificate
// (SAN IP:127.0.0.1), an admin client certificate in system:masters, and the
// ServiceAccount token signing key. Built with weft's own src/pki.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExtendedKeyUsage,
  KeyType,
  buildCertificate,
  generateKeyPair,
  privateKeyToPem,
  publicKeyToPem,
  randomSerial,
} from '../../src/pki/index.js';
import type { Signer } from '../../src/pki/index.js';

export interface ControlPlaneCerts {
  readonly caCert: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly saPublicKeyFile: string;
  readonly saPrivateKeyFile: string;
}

const HOUR = 3600_000;

async function issue(
  ca: Signer,
  subject: string,
  usage: ExtendedKeyUsage,
  sans?: { ips: string[]; dnsNames: string[] },
): Promise<{ cert: string; key: string }> {
  const now = Date.now();
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await buildCertificate(
    {
      subject,
      serialNumber: randomSerial(),
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + 24 * HOUR),
      publicKey: keys.publicKey,
      extendedKeyUsages: [usage],
      ...(sans ? { sans } : {}),
    },
    ca,
  );
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

export async function writeControlPlaneCerts(dir: string): Promise<ControlPlaneCerts> {
  const now = Date.now();
  const caKeys = await generateKeyPair(KeyType.EcdsaP256);
  const caCert = await buildCertificate(
    {
      subject: 'CN=weft-testenv-ca',
      serialNumber: randomSerial(),
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + 24 * HOUR),
      publicKey: caKeys.publicKey,
      ca: {},
    },
    { privateKey: caKeys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  const ca: Signer = { certificate: caCert, privateKey: caKeys.privateKey, keyType: 'ECDSA-P256' };
  const server = await issue(ca, 'CN=kube-apiserver', ExtendedKeyUsage.ServerAuth, {
    ips: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });
  const admin = await issue(ca, 'CN=weft-admin, O=system:masters', ExtendedKeyUsage.ClientAuth);
  const saKeys = await generateKeyPair(KeyType.EcdsaP256);

  const files = {
    caFile: path.join(dir, 'ca.crt'),
    serverCertFile: path.join(dir, 'apiserver.crt'),
    serverKeyFile: path.join(dir, 'apiserver.key'),
    saPublicKeyFile: path.join(dir, 'sa.pub'),
    saPrivateKeyFile: path.join(dir, 'sa.key'),
  };
  const caPem = caCert.toString('pem');
  await Promise.all([
    writeFile(files.caFile, caPem),
    writeFile(files.serverCertFile, server.cert),
    writeFile(files.serverKeyFile, server.key, { mode: 0o600 }),
    writeFile(files.saPublicKeyFile, await publicKeyToPem(saKeys.publicKey)),
    writeFile(files.saPrivateKeyFile, await privateKeyToPem(saKeys.privateKey), { mode: 0o600 }),
  ]);
  return { ...files, caCert: caPem, adminCert: admin.cert, adminKey: admin.key };
}
