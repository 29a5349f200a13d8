// Small helpers for tests against the real control plane.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { kubectl } from './kubectl.js';

/** A fresh namespace per test: deleted namespaces stay Terminating without a controller manager. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a namespace with a `default` ServiceAccount (no controller manager makes
 * one here, and the ServiceAccount admission plugin refuses pods without it).
 */
export async function createNamespace(
  kc: KubeConfig,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels } } });
  await core.createNamespacedServiceAccount({
    namespace: name,
    body: { metadata: { name: 'default' } },
  });
}

/** Retries `fn` until it returns a value, for things the API server picks up a moment later. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
  );
}

/**
 * A kubeconfig that authenticates as a ServiceAccount (a TokenRequest for the API
 * server's own audience), so a test runs a component with exactly its RBAC.
 */
export async function serviceAccountKubeconfig(
  cp: ControlPlane,
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name: serviceAccount,
    body: { spec: { audiences: [`${cp.server}/`], expirationSeconds: 3600 } },
  });
  const file = path.join(cp.dir, `${namespace}.${serviceAccount}.kubeconfig`);
  writeKubeconfig(file, { server: cp.server, caCert: cp.caCert, token: tr.status!.token });
  return file;
}

/** A TokenRequest through the real kubectl (`kubectl create token`), optionally pod-bound. */
export async function createToken(
  cp: ControlPlane,
  namespace: string,
  serviceAccount: string,
  opts: { audience?: string; pod?: string } = {},
): Promise<string> {
  const bound = opts.pod ? ['--bound-object-kind', 'Pod', '--bound-object-name', opts.pod] : [];
  const args = [
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--audience',
    opts.audience ?? 'weft-ca',
    ...bound,
  ];
  const r = await kubectl(cp.kubeconfigPath, args);
  if (r.code !== 0) throw new Error(`kubectl create token: ${r.stderr}`);
  return r.stdout.trim();
}
