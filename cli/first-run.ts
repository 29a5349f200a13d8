// The first run against a fresh cluster, from outside it (`weft control-plane
// --register`): weft's namespace and CRDs come from manifests/ in the package.
// Creates what is missing when this user may; otherwise fails with one line saying
// exactly what to apply first, instead of a raw `namespaces "weft-system" not found`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1CustomResourceDefinition, V1Namespace } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ErrorCode, WeftError } from '../src/errors.js';
import { apiFailure, apiStatus, isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';

/** manifests/ of the package this file ships in (dist/cli → the package root). */
export const MANIFESTS_DIR = path.resolve(import.meta.dirname, '../../manifests');

interface Prerequisite {
  /** What `kubectl apply -f` takes, relative to the package root. */
  readonly file: string;
  readonly what: string;
  exists(): Promise<boolean>;
  create(): Promise<unknown>;
}

function loadDoc<T>(file: string): T {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as T);
  if (docs.length !== 1 || !docs[0]) throw new Error(`${file}: expected one document`);
  return docs[0];
}

const present = (read: () => Promise<unknown>): Promise<boolean> =>
  read().then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );

export function prerequisites(kc: KubeConfig, manifests = MANIFESTS_DIR): Prerequisite[] {
  const core = kc.makeApiClient(CoreV1Api);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const nsFile = path.join(manifests, '00-namespace.yaml');
  const ns = loadDoc<V1Namespace>(nsFile);
  const name = ns.metadata?.name ?? '';
  const crdDir = path.join(manifests, 'crds');
  const crds = readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({
      file: path.join(crdDir, f),
      crd: loadDoc<V1CustomResourceDefinition>(path.join(crdDir, f)),
    }));
  return [
    {
      file: 'manifests/00-namespace.yaml',
      what: `namespace ${name}`,
      exists: () => present(() => core.readNamespace({ name })),
      create: () => core.createNamespace({ body: ns }),
    },
    ...crds.map(({ file, crd }) => ({
      file: `manifests/crds/${path.basename(file)}`,
      what: `CRD ${crd.metadata?.name ?? ''}`,
      exists: () =>
        present(() => ext.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' })),
      create: () => ext.createCustomResourceDefinition({ body: crd }),
    })),
  ];
}

/**
 * Makes sure the namespace and CRDs exist. Resolves to what it created; rejects
 * with one line naming the files to apply when this user may not create them.
 */
export async function ensurePrerequisites(
  kc: KubeConfig,
  log: Logger,
  manifests = MANIFESTS_DIR,
): Promise<string[]> {
  const created: string[] = [];
  const refused: Prerequisite[] = [];
  for (const p of prerequisites(kc, manifests)) {
    const exists = await p.exists().catch((err: unknown) => {
      if (apiStatus(err) === 403) return undefined; // may not even look: try to create
      throw apiFailure(`checking ${p.what}`, err);
    });
    if (exists) continue;
    try {
      await p.create();
      created.push(p.what);
      log.info('created a missing prerequisite', { what: p.what, from: p.file });
    } catch (err) {
      if (isConflict(err)) continue;
      if (apiStatus(err) !== 403) throw apiFailure(`creating ${p.what}`, err);
      refused.push(p);
    }
  }
  if (refused.length > 0) {
    throw new WeftError(
      ErrorCode.Forbidden,
      `${refused.map((p) => p.what).join(' and ')} missing and this user may not create ` +
        `${refused.length > 1 ? 'them' : 'it'}: apply ${refused.map((p) => p.file).join(' ')} ` +
        `(from the weft package) first, e.g. kubectl apply ${refused.map((p) => `-f ${p.file}`).join(' ')}`,
    );
  }
  return created;
}
