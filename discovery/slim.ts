// Objects as discovery keeps them: only what it reads. The informer hands the cache
// the same object it keeps itself, so trimming in place shrinks both copies at once.
// managedFields alone is often half a pod's bytes; containers, volumes and status
// conditions are most of the rest, and discovery reads none of them.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Drops what no kind's reader needs: server-side-apply bookkeeping and kubectl's copy. */
export function slimMetadata<T extends KubernetesObject>(o: T): T {
  const meta = o.metadata;
  if (!meta) return o;
  delete meta.managedFields;
  if (meta.annotations && LAST_APPLIED in meta.annotations) delete meta.annotations[LAST_APPLIED];
  return o;
}

/**
 * A pod reduced to what the view and the peer check read: metadata (labels,
 * annotations, owners, UID), the ServiceAccount, host networking, the node, and the
 * phase and addresses. The name and resourceVersion stay: the informer keys on them.
 */
export function slimPod(pod: V1Pod): V1Pod {
  slimMetadata(pod);
  const spec = pod.spec;
  if (spec) {
    pod.spec = {
      containers: [],
      ...(spec.serviceAccountName !== undefined
        ? { serviceAccountName: spec.serviceAccountName }
        : {}),
      ...(spec.hostNetwork !== undefined ? { hostNetwork: spec.hostNetwork } : {}),
      ...(spec.nodeName !== undefined ? { nodeName: spec.nodeName } : {}),
    };
  }
  const status = pod.status;
  if (status) {
    pod.status = {
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(status.podIP !== undefined ? { podIP: status.podIP } : {}),
      ...(status.podIPs !== undefined ? { podIPs: status.podIPs } : {}),
    };
  }
  return pod;
}
