// Loads the CA's material from its Secret, creating it on first start. Two
// replicas racing both try to create; the loser reads back the winner's keys, so
// every replica signs with the same issuer and the root never changes on restart.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { apiFailure, isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { Material, SecretData } from './ca-material.js';
import { fromSecretData, generateMaterial, toSecretData } from './ca-material.js';

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

export async function loadOrCreateMaterial(
  core: CoreV1Api,
  ref: CaSecretRef,
  trustDomain: string,
  log: Logger,
): Promise<{ material: Material; resourceVersion: string }> {
  const existing = await readCaSecret(core, ref);
  if (existing) {
    log.info('loaded CA material from secret', { secret: `${ref.namespace}/${ref.name}` });
    return {
      material: await fromSecretData(decodeSecret(existing)),
      resourceVersion: existing.metadata?.resourceVersion ?? '',
    };
  }
  const generated = await generateMaterial({ trustDomain });
  const body: V1Secret = {
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { 'app.kubernetes.io/part-of': 'weft', 'weft.dev/ca': 'generated' },
    },
    type: 'Opaque',
    data: encodeSecretData(await toSecretData(generated)),
  };
  try {
    const created = await core.createNamespacedSecret({ namespace: ref.namespace, body });
    log.info('generated a new root and issuer', {
      secret: `${ref.namespace}/${ref.name}`,
      root: generated.authority.roots[0]?.subject,
    });
    return { material: generated, resourceVersion: created.metadata?.resourceVersion ?? '' };
  } catch (err) {
    if (!isConflict(err)) throw apiFailure(`creating secret ${ref.namespace}/${ref.name}`, err);
    log.info('another replica created the CA secret first; using its keys');
    return loadOrCreateMaterial(core, ref, trustDomain, log);
  }
}
