// A pod as the audit sees it: pure, so the plugin and the audit's tests read pods
// the same way.
import type { V1Pod } from '@kubernetes/client-node';
import { captureFacts } from './capture-facts.js';
import type { PodFacts } from './model.js';

export const INJECT = 'weft.dev/inject';
const STATUS = 'weft.dev/status';

/** The workload a pod belongs to: its controller (ReplicaSet → Deployment), else its app label, else itself. */
export function workloadOf(pod: V1Pod): string {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const owner = (meta.ownerReferences ?? []).find((o) => o.controller);
  const hash = labels['pod-template-hash'];
  if (owner && owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return `Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  if (owner) return `${owner.kind}/${owner.name}`;
  const app = labels['app.kubernetes.io/name'] ?? labels.app;
  return app ? `app/${app}` : `Pod/${meta.name ?? ''}`;
}

function versionOf(status: string | undefined): string | undefined {
  try {
    return status ? (JSON.parse(status) as { version?: string }).version : undefined;
  } catch {
    return undefined;
  }
}

export function podFacts(p: V1Pod): PodFacts {
  const status = p.metadata?.annotations?.[STATUS];
  const weftVersion = versionOf(status);
  return {
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
    serviceAccount: p.spec?.serviceAccountName ?? 'default',
    injected: status !== undefined,
    optedOut: p.metadata?.labels?.[INJECT] === 'false',
    hostNetwork: p.spec?.hostNetwork === true,
    workload: workloadOf(p),
    ...(weftVersion ? { weftVersion } : {}),
    ...(status !== undefined ? { capture: captureFacts(p) } : {}),
  };
}
