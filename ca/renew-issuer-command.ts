// `weft ca renew-issuer`: a new intermediate under the same root, for a CA whose root
// key is offline (a CA with --online-root does this itself). Run by an admin, who
// holds the root key: a file (--root-key-file), else the weft-ca-root Secret.
import { readFile } from 'node:fs/promises';
import { CoreV1Api } from '@kubernetes/client-node';
import { z } from 'zod';
import { trustDomain } from '../src/config/fields.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { ErrorCode, WeftError } from '../src/errors.js';
import { apiFailure, loadKubeConfig } from '../src/k8s/client.js';
import { CA_SECRET_NAME, DEFAULT_TRUST_DOMAIN, WEFT_NAMESPACE } from '../src/names.js';
import { KeyType, importPrivateKeyPem } from '../src/pki/index.js';
import { SecretKey, fromSecretData } from './ca-material.js';
import type { SecretData } from './ca-material.js';
import { decodeSecret, encodeSecretData, readCaSecret } from './ca-store.js';
import { CA_ROOT_KEY_SECRET_NAME } from './config.js';
import { renewIssuer } from './issuer-renewal.js';

export const RENEW_USAGE = `Usage: weft ca renew-issuer [flags]

Signs a new intermediate under the same root and puts it in the CA Secret; running
CAs pick it up on their next reload. Certificates from the old intermediate stay
valid until they expire. Needs the root key: --root-key-file, else the CA Secret's
root.key (online root), else the weft-ca-root Secret.

Flags:
  --kubeconfig PATH   --namespace NAME (default weft-system)
  --secret-name NAME (default weft-ca)   --trust-domain NAME (default cluster.local)
  --root-key-file PATH   --root-key-secret-name NAME (default weft-ca-root)
`;

const Schema = z.strictObject({
  kubeconfig: z.string().optional(),
  namespace: z.string().default(WEFT_NAMESPACE),
  secretName: z.string().default(CA_SECRET_NAME),
  trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
  rootKeyFile: z.string().optional(),
  rootKeySecretName: z.string().default(CA_ROOT_KEY_SECRET_NAME),
});
const flags = {
  kubeconfig: {},
  namespace: {},
  'secret-name': {},
  'trust-domain': {},
  'root-key-file': {},
  'root-key-secret-name': {},
};

/** The root key's PEM from the first place that has it. */
export async function findRootKey(
  core: CoreV1Api,
  data: SecretData,
  config: { namespace: string; rootKeyFile?: string | undefined; rootKeySecretName: string },
): Promise<string> {
  if (config.rootKeyFile) return readFile(config.rootKeyFile, 'utf8');
  const inCaSecret = data[SecretKey.RootKey];
  if (inCaSecret) return inCaSecret;
  const secret = await readCaSecret(core, {
    namespace: config.namespace,
    name: config.rootKeySecretName,
  });
  const pem = secret ? decodeSecret(secret)[SecretKey.RootKey] : undefined;
  if (!pem) {
    throw new WeftError(
      ErrorCode.NotFound,
      `no root key: pass --root-key-file, or restore Secret ${config.namespace}/${config.rootKeySecretName}`,
    );
  }
  return pem;
}

export async function runRenewIssuer(args: readonly string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(RENEW_USAGE);
    return 0;
  }
  const config = parseConfig(Schema, parseFlags(args, flags));
  const core = loadKubeConfig(config.kubeconfig).makeApiClient(CoreV1Api);
  const ref = { namespace: config.namespace, name: config.secretName };
  const secret = await readCaSecret(core, ref);
  if (!secret) {
    throw new WeftError(ErrorCode.NotFound, `secret ${ref.namespace}/${ref.name} not found`);
  }
  const data = decodeSecret(secret);
  const { authority } = await fromSecretData(data);
  const rootKey = await importPrivateKeyPem(
    await findRootKey(core, data, config),
    KeyType.EcdsaP256,
  );
  const renewed = await renewIssuer(data, authority, rootKey, config);
  // The new issuer must verify under the root before it replaces the old one.
  await fromSecretData(renewed.data);
  try {
    await core.replaceNamespacedSecret({
      ...ref,
      body: { ...secret, data: encodeSecretData(renewed.data) },
    });
  } catch (err) {
    throw apiFailure(`updating secret ${ref.namespace}/${ref.name}`, err);
  }
  process.stdout.write(
    `renew-issuer: done. New intermediate serial ${renewed.issuer.serialNumber}, valid until ${renewed.issuer.notAfter.toISOString()}\n`,
  );
  return 0;
}
