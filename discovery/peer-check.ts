// Which pod a stream is for: the peer's verified SPIFFE ID must be the identity
// of the pod at the connection's source address (the Pods informer), so a sidecar
// gets only what its own pod may see. Anything else is refused with a reason;
// the stream then gets nothing. Fails closed: no pod, several, host-network pods
// (whose address is the node's) and finished pods are all refusals.
import type { V1Pod } from '@kubernetes/client-node';
import { parseSpiffeId } from '../src/identity.js';

export type PeerVerdict =
  | { readonly ok: true; readonly podKey: string }
  | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

export type RefusalReason =
  'no_spiffe_id' | 'foreign_trust_domain' | 'no_pod' | 'identity_mismatch';

export interface PodLookup {
  readonly pods: ReadonlyMap<string, V1Pod>;
  readonly podsByIp: ReadonlyMap<string, ReadonlySet<string>>;
  readonly trustDomain: string;
}

/** `::ffff:198.51.100.10` → `198.51.100.10`. */
export const plainAddress = (a: string | undefined): string => (a ?? '').replace(/^::ffff:/, '');

/** Every address the pod has (both families when dual-stack). */
export const podIps = (pod: V1Pod): Set<string> =>
  new Set(
    [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter(
      (ip): ip is string => !!ip,
    ),
  );

/** Not host-network (its address is the node's) and not finished. */
export const isLive = (pod: V1Pod): boolean =>
  !pod.spec?.hostNetwork && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? '');

/** The SPIFFE ID a pod's sidecar is issued. */
export const podIdentity = (pod: V1Pod, trustDomain: string): string =>
  `spiffe://${trustDomain}/ns/${pod.metadata?.namespace ?? ''}/sa/${pod.spec?.serviceAccountName ?? 'default'}`;

export function checkPeer(
  lookup: PodLookup,
  address: string,
  spiffeId: string | undefined,
): PeerVerdict {
  if (!spiffeId)
    return { ok: false, reason: 'no_spiffe_id', detail: 'no SPIFFE ID in the client certificate' };
  let td: string;
  try {
    td = parseSpiffeId(spiffeId).trustDomain;
  } catch {
    return { ok: false, reason: 'no_spiffe_id', detail: 'not a workload SPIFFE ID' };
  }
  if (td !== lookup.trustDomain) {
    return { ok: false, reason: 'foreign_trust_domain', detail: `trust domain ${td}` };
  }
  const keys = [...(lookup.podsByIp.get(address) ?? [])].filter((k) => {
    const pod = lookup.pods.get(k);
    return pod !== undefined && isLive(pod);
  });
  if (!keys.length) return { ok: false, reason: 'no_pod', detail: `no pod at ${address}` };
  const mine = keys.filter(
    (k) => podIdentity(lookup.pods.get(k)!, lookup.trustDomain) === spiffeId,
  );
  if (mine.length !== 1) {
    return {
      ok: false,
      reason: 'identity_mismatch',
      detail: `${spiffeId} is not the identity of the pod at ${address}`,
    };
  }
  return { ok: true, podKey: mine[0]! };
}
