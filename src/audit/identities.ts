// One row per workload identity: who holds it, whether they are injected, the
// certificate in use and the path it came through, and what the audit says.
import { currentCertificate, spiffeIdOf } from './findings.js';
import type { CertificateRecord, Finding, Inventory } from './model.js';

export interface IdentityRow {
  readonly spiffeId: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly pods: string[];
  readonly injectedPods: number;
  readonly certificate?: CertificateRecord;
  readonly findings: Finding[];
}

export function identityRows(inv: Inventory, findings: readonly Finding[]): IdentityRow[] {
  const enabled = new Set(inv.namespaces.filter((n) => n.injectionEnabled).map((n) => n.name));
  const keys = new Set<string>();
  for (const p of inv.pods) {
    if (!p.hostNetwork && (p.injected || enabled.has(p.namespace)))
      keys.add(`${p.namespace}/${p.serviceAccount}`);
  }
  for (const r of inv.records) keys.add(`${r.namespace}/${r.serviceAccount}`);
  return [...keys].sort().map((key) => {
    const [namespace, serviceAccount] = key.split('/') as [string, string];
    const spiffeId = spiffeIdOf(inv.trustDomain, namespace, serviceAccount);
    const pods = inv.pods.filter(
      (p) => p.namespace === namespace && p.serviceAccount === serviceAccount,
    );
    const podObjects = new Set(pods.map((p) => `pod/${p.name}`));
    const record = inv.records.find(
      (r) => r.namespace === namespace && r.serviceAccount === serviceAccount,
    );
    const certificate = record ? currentCertificate(record) : undefined;
    return {
      spiffeId,
      namespace,
      serviceAccount,
      pods: pods.map((p) => p.name).sort(),
      injectedPods: pods.filter((p) => p.injected).length,
      ...(certificate ? { certificate } : {}),
      findings: findings.filter(
        (f) => f.spiffeId === spiffeId || (f.namespace === namespace && podObjects.has(f.object)),
      ),
    };
  });
}
