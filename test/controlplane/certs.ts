// Fresh PKI for one control-plane run: a CA, the API server's serving certificate
// (SAN IP:127.0.0.1), an admin client certificate in system:masters, and the
// ServiceAccount token signing key. Built with weft's own src/pki.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExtendedKeyUsage,
  KeyType,
  createEphemeralCa,
  generateKeyPair,
  privateKeyToPem,
  publicKeyToPem,
} from '../../src/pki/index.js';
import type { EphemeralCa, SubjectAltNames } from '../../src/pki/index.js';

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

const DAY = 86_400_000;

async function issue(
  ca: EphemeralCa,
  subject: string,
  usage: ExtendedKeyUsage,
  sans?: SubjectAltNames,
): Promise<{ cert: string; key: string }> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await ca.sign(keys.publicKey, subject, sans, [usage]);
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

/** `serverSans`: the API server's names (the test cluster adds its node and Service IPs). */
export async function writeControlPlaneCerts(
  dir: string,
  serverSans: SubjectAltNames = { ips: ['127.0.0.1'], dnsNames: ['localhost'] },
): Promise<ControlPlaneCerts> {
  const ca = await createEphemeralCa('weft-testenv-ca', DAY);
  const server = await issue(ca, 'CN=kube-apiserver', ExtendedKeyUsage.ServerAuth, serverSans);
  const admin = await issue(ca, 'CN=weft-admin, O=system:masters', ExtendedKeyUsage.ClientAuth);
  const saKeys = await generateKeyPair(KeyType.EcdsaP256);

  const files = {
    caFile: path.join(dir, 'ca.crt'),
    serverCertFile: path.join(dir, 'apiserver.crt'),
    serverKeyFile: path.join(dir, 'apiserver.key'),
    saPublicKeyFile: path.join(dir, 'sa.pub'),
    saPrivateKeyFile: path.join(dir, 'sa.key'),
  };
  const caPem = ca.certPem;
  await Promise.all([
    writeFile(files.caFile, caPem),
    writeFile(files.serverCertFile, server.cert),
    writeFile(files.serverKeyFile, server.key, { mode: 0o600 }),
    writeFile(files.saPublicKeyFile, await publicKeyToPem(saKeys.publicKey)),
    writeFile(files.saPrivateKeyFile, await privateKeyToPem(saKeys.privateKey), { mode: 0o600 }),
  ]);
  return { ...files, caCert: caPem, adminCert: admin.cert, adminKey: admin.key };
}
