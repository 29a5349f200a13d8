// Loads the CA's material from its Secret, creating it on first start. Two
// replicas racing both try to create; the loser reads back the winner's keys, so
// every replica signs with the same issuer and the root never changes on restart.
//
// Offline root (the default): the running CA holds the intermediate's key only. A
// first start writes the root's key into a second Secret (weft-ca-root) that the
// CA's RBAC lets it create but never read, and says in one log line how to move it
// off the cluster. Online root (--online-root): the root key stays in the CA Secret,
// and the CA renews its intermediate itself.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { apiFailure, apiMessage, isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { Material, SecretData } from './ca-material.js';
import { SecretKey, fromSecretData, generateMaterial, toSecretData } from './ca-material.js';

export interface CaSecretRef {
  readonly namespace: string;
  readonly name: string;
}

export function decodeSecret(secret: V1Secret): SecretData {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return out;
}

export function encodeSecretData(data: SecretData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (v) out[k] = Buffer.from(v).toString('base64');
  return out;
}

export async function readCaSecret(
  core: CoreV1Api,
  ref: CaSecretRef,
): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret(ref);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw apiFailure(`reading secret ${ref.namespace}/${ref.name}`, err);
  }
}

export interface StoreOptions {
  readonly trustDomain: string;
  /** Keep the root key in the CA Secret (and in memory). */
  readonly onlineRoot: boolean;
  /** Where a first start puts the root key in offline-root mode. */
  readonly rootKeySecretName: string;
}

const LABELS = { 'app.kubernetes.io/part-of': 'weft', 'weft.dev/ca': 'generated' };

/** Material as loaded: the root key is dropped unless the CA runs with an online root. */
export async function loadMaterial(
  secret: V1Secret,
  opts: StoreOptions,
  log: Logger,
): Promise<Material> {
  const material = await fromSecretData(decodeSecret(secret));
  if (!material.rootKey || opts.onlineRoot) return material;
  const where = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  log.warn(
    `the CA Secret ${where} holds the root key (${SecretKey.RootKey}), but this CA runs with an offline root and ignores it; move it off the cluster, or pass --online-root`,
    { secret: where },
  );
  return { authority: material.authority };
}

/** Writes the root key where the running CA cannot read it back (create-only RBAC). */
async function storeRootKey(
  core: CoreV1Api,
  target: CaSecretRef,
  material: Material,
  log: Logger,
): Promise<void> {
  const { namespace, name } = target;
  const secret = `${namespace}/${name}`;
  const rootKey = (await toSecretData(material))[SecretKey.RootKey];
  const body: V1Secret = {
    metadata: { name, namespace, labels: LABELS },
    type: 'Opaque',
    data: encodeSecretData({ [SecretKey.RootKey]: rootKey }),
  };
  try {
    await core.createNamespacedSecret({ namespace, body });
  } catch (err) {
    // The CA keeps running: only renewing the intermediate needs this key, and
    // `weft ca rotate-root` can always start a new root.
    log.error(`could not store the root key in ${secret}; it is lost`, { reason: apiMessage(err) });
    return;
  }
  log.warn(
    `generated a new root; its private key is in Secret ${secret}, which this CA cannot read. Move it off the cluster: kubectl -n ${namespace} get secret ${name} -o jsonpath='{.data.root\\.key}' | base64 -d > weft-root.key && kubectl -n ${namespace} delete secret ${name} (then pass --root-key-file weft-root.key to weft ca renew-issuer)`,
    { secret, root: material.authority.roots[0]?.subject },
  );
}

export async function loadOrCreateMaterial(
  core: CoreV1Api,
  ref: CaSecretRef,
  opts: StoreOptions,
  log: Logger,
): Promise<{ material: Material; resourceVersion: string }> {
  const existing = await readCaSecret(core, ref);
  if (existing) {
    log.info('loaded CA material from secret', { secret: `${ref.namespace}/${ref.name}` });
    return {
      material: await loadMaterial(existing, opts, log),
      resourceVersion: existing.metadata?.resourceVersion ?? '',
    };
  }
  const generated = await generateMaterial({ trustDomain: opts.trustDomain });
  const kept: Material = opts.onlineRoot ? generated : { authority: generated.authority };
  const body: V1Secret = {
    metadata: { name: ref.name, namespace: ref.namespace, labels: LABELS },
    type: 'Opaque',
    data: encodeSecretData(await toSecretData(kept)),
  };
  let created: V1Secret;
  try {
    created = await core.createNamespacedSecret({ namespace: ref.namespace, body });
  } catch (err) {
    if (!isConflict(err)) throw apiFailure(`creating secret ${ref.namespace}/${ref.name}`, err);
    log.info('another replica created the CA secret first; using its keys');
    return loadOrCreateMaterial(core, ref, opts, log);
  }
  log.info('generated a new root and issuer', {
    secret: `${ref.namespace}/${ref.name}`,
    root: generated.authority.roots[0]?.subject,
    rootKey: opts.onlineRoot ? 'online (in the CA Secret)' : 'offline',
  });
  if (!opts.onlineRoot) {
    const target = { namespace: ref.namespace, name: opts.rootKeySecretName };
    await storeRootKey(core, target, generated, log);
  }
  return { material: kept, resourceVersion: created.metadata?.resourceVersion ?? '' };
}
