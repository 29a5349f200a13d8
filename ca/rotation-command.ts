// `weft ca rotate-root add|switch|retire`: one rotation step applied to the CA
// Secret with optimistic concurrency; running CAs pick it up on their next reload.
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Secret } from '@kubernetes/client-node';
import { z } from 'zod';
import { boolFlag, positiveInt, trustDomain } from '../src/config/fields.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { ErrorCode, WeftError } from '../src/errors.js';
import { apiFailure, loadKubeConfig } from '../src/k8s/client.js';
import { CA_SECRET_NAME, DEFAULT_TRUST_DOMAIN, WEFT_NAMESPACE } from '../src/names.js';
import { parseCertificates } from '../src/pki/index.js';
import { decodeSecret, encodeSecretData, readCaSecret } from './ca-store.js';
import { SecretKey } from './ca-material.js';
import { CA_ROOT_KEY_SECRET_NAME } from './config.js';
import type { SecretData } from './ca-material.js';
import {
  RETIRE_AFTER_ANNOTATION,
  RotationStep,
  rotateAdd,
  rotateRetire,
  rotateSwitch,
} from './rotation.js';

export const ROTATE_USAGE = `Usage: weft ca rotate-root add|switch|retire [flags]

Rotates the mesh's root with overlap, one step at a time:
  add     stage a new root; every trust bundle now holds old and new
  switch  issue from a new intermediate under the new root
  retire  drop the old root from the bundles (refused until every certificate
          it anchors has expired, unless --force)

Flags:
  --kubeconfig PATH   --namespace NAME (default weft-system)
  --secret-name NAME (default weft-ca)   --trust-domain NAME (default cluster.local)
  --max-lifetime-seconds N (the CA's; default 172800)   --force[=true|false]
  --root-key-secret-name NAME (default weft-ca-root): where root keys live when the
                      root is offline (the CA Secret holds no root.key)
`;

const RotateSchema = z.strictObject({
  kubeconfig: z.string().optional(),
  namespace: z.string().default(WEFT_NAMESPACE),
  secretName: z.string().default(CA_SECRET_NAME),
  trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
  maxLifetimeSeconds: positiveInt().default(2 * 86400),
  force: boolFlag.default(false),
  rootKeySecretName: z.string().default(CA_ROOT_KEY_SECRET_NAME),
});

const flags = {
  kubeconfig: {},
  namespace: {},
  'secret-name': {},
  'trust-domain': {},
  'max-lifetime-seconds': {},
  force: { boolean: true },
  'root-key-secret-name': {},
};

const ROOT_KEYS = [SecretKey.RootKey, SecretKey.NextRootKey] as const;

/**
 * Offline root: writes the root keys of `data` to their own Secret (first, so a key
 * is never lost) and returns the rest, for the CA Secret.
 */
async function storeRootKeys(
  core: CoreV1Api,
  ref: { namespace: string; name: string },
  existing: V1Secret | undefined,
  data: SecretData,
): Promise<SecretData> {
  const keys: SecretData = {};
  const rest: SecretData = { ...data };
  for (const k of ROOT_KEYS) {
    if (data[k]) keys[k] = data[k];
    delete rest[k];
  }
  if (Object.keys(keys).length === 0) return rest;
  try {
    if (existing) {
      await core.replaceNamespacedSecret({
        ...ref,
        body: { ...existing, data: encodeSecretData(keys) },
      });
    } else {
      await core.createNamespacedSecret({
        namespace: ref.namespace,
        body: { metadata: { ...ref }, type: 'Opaque', data: encodeSecretData(keys) },
      });
    }
  } catch (err) {
    throw apiFailure(`writing secret ${ref.namespace}/${ref.name}`, err);
  }
  return rest;
}

/** Runs one step; records or clears the retire-after time in `annotations`. */
async function applyStep(
  step: RotationStep,
  data: SecretData,
  annotations: Record<string, string>,
  config: z.infer<typeof RotateSchema> & { weftGenerated: boolean },
): Promise<SecretData> {
  if (step === RotationStep.Add) {
    return rotateAdd(data, config.trustDomain, { weftGenerated: config.weftGenerated });
  }
  if (step === RotationStep.Switch) {
    const r = await rotateSwitch(data, config);
    annotations[RETIRE_AFTER_ANNOTATION] = r.retireAfter.toISOString();
    return r.data;
  }
  const after = annotations[RETIRE_AFTER_ANNOTATION];
  const next = await rotateRetire(data, {
    retireAfter: after ? new Date(after) : undefined,
    force: config.force,
  });
  delete annotations[RETIRE_AFTER_ANNOTATION];
  return next;
}

async function mustRead(
  core: CoreV1Api,
  ref: { namespace: string; name: string },
): Promise<V1Secret> {
  const secret = await readCaSecret(core, ref);
  if (!secret) {
    throw new WeftError(ErrorCode.NotFound, `secret ${ref.namespace}/${ref.name} not found`);
  }
  return secret;
}

export async function runRotateRoot(args: readonly string[]): Promise<number> {
  const [step, ...rest] = args;
  if (!step || step === '--help' || !Object.values(RotationStep).includes(step as RotationStep)) {
    (step === '--help' ? process.stdout : process.stderr).write(ROTATE_USAGE);
    return step === '--help' ? 0 : 2;
  }
  const config = parseConfig(RotateSchema, parseFlags(rest, flags));
  const core = loadKubeConfig(config.kubeconfig).makeApiClient(CoreV1Api);
  const ref = { namespace: config.namespace, name: config.secretName };
  const secret = await mustRead(core, ref);
  const data = decodeSecret(secret);
  // Offline root: the root keys live in their own Secret (or off the cluster).
  const online = Boolean(data[SecretKey.RootKey]);
  const rootRef = { namespace: config.namespace, name: config.rootKeySecretName };
  const rootSecret = online ? undefined : await readCaSecret(core, rootRef);
  const merged = { ...data, ...decodeSecret(rootSecret ?? {}) };
  const annotations = { ...secret.metadata?.annotations };
  const weftGenerated = secret.metadata?.labels?.['weft.dev/ca'] === 'generated';
  let next = await applyStep(step as RotationStep, merged, annotations, {
    ...config,
    weftGenerated,
  });
  if (!online) next = await storeRootKeys(core, rootRef, rootSecret, next);
  try {
    await core.replaceNamespacedSecret({
      ...ref,
      body: {
        ...secret,
        metadata: { ...secret.metadata, annotations },
        data: encodeSecretData(next),
      },
    });
  } catch (err) {
    throw apiFailure(`updating secret ${ref.namespace}/${ref.name}`, err);
  }
  const roots = parseCertificates(next[SecretKey.Roots] ?? '');
  process.stdout.write(
    `${step}: done. Trust bundle roots: ${roots.map((r) => r.subject + ' serial ' + r.serialNumber).join('; ')}\n`,
  );
  if (step === RotationStep.Switch) {
    process.stdout.write(`retire the old root after ${annotations[RETIRE_AFTER_ANNOTATION]}\n`);
  }
  return 0;
}
