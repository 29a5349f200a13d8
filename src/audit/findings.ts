// The audit's rules: each a pure function from the inventory to findings, with a
// stable code, a severity and a message that says what to do.
import type { CertificateRecord, Finding, IdentityRecord, Inventory, PodFacts } from './model.js';
import { FindingCode, severityRank } from './model.js';

export interface AuditOptions {
  readonly now: Date;
  /** A live certificate with less than this left is `certificate-expiring`. */
  readonly expiringWithinMs: number;
}

export const spiffeIdOf = (trustDomain: string, ns: string, sa: string): string =>
  `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;

/** The certificate an identity uses now: the newest by notBefore. */
export function currentCertificate(r: IdentityRecord): CertificateRecord | undefined {
  return [...r.certificates].sort((a, b) => Date.parse(b.notBefore) - Date.parse(a.notBefore))[0];
}

const enabled = (inv: Inventory, ns: string): boolean =>
  inv.namespaces.find((n) => n.name === ns)?.injectionEnabled ?? false;

function podRules(inv: Inventory): Finding[] {
  const out: Finding[] = [];
  for (const p of inv.pods) {
    if (p.hostNetwork) continue;
    const base = { namespace: p.namespace, object: `pod/${p.name}` };
    if (!p.injected && enabled(inv, p.namespace)) {
      out.push(
        p.optedOut
          ? {
              ...base,
              code: FindingCode.OptedOutPod,
              severity: 'low',
              message: 'opted out with weft.dev/inject=false in an injection-enabled namespace',
            }
          : {
              ...base,
              code: FindingCode.UninjectedPod,
              severity: 'high',
              message:
                'runs without the weft sidecar in an injection-enabled namespace; recreate it to inject',
            },
      );
    }
    if (p.serviceAccount === 'default' && (p.injected || enabled(inv, p.namespace))) {
      out.push({
        ...base,
        code: FindingCode.DefaultServiceAccount,
        severity: 'medium',
        spiffeId: spiffeIdOf(inv.trustDomain, p.namespace, 'default'),
        message:
          'uses the default ServiceAccount: every such workload shares one identity; give it its own',
      });
    }
  }
  return out;
}

/** Injected pods whose capture is switched off or mostly bypassed, whoever asked. */
function captureRules(inv: Inventory): Finding[] {
  const out: Finding[] = [];
  for (const p of inv.pods) {
    const c = p.capture;
    if (!c || p.hostNetwork) continue;
    const base = { namespace: p.namespace, object: `pod/${p.name}` };
    const off = [
      ...(c.unreadable ? [c.unreadable] : []),
      ...c.weakenings.filter((w) => w.extent === 'disabled').map((w) => w.detail),
    ];
    const broad = c.weakenings.filter((w) => w.extent === 'broad').map((w) => w.detail);
    if (off.length) {
      out.push({
        ...base,
        code: FindingCode.CaptureDisabled,
        severity: 'high',
        message: `injected, but capture is off: ${off.join('; ')}`,
      });
    }
    if (broad.length) {
      out.push({
        ...base,
        code: FindingCode.CaptureBypassed,
        severity: 'high',
        message: `injected, but most traffic bypasses the sidecar: ${broad.join('; ')}`,
      });
    }
  }
  return out;
}

function sharedAccounts(inv: Inventory): Finding[] {
  const bySa = new Map<string, PodFacts[]>();
  for (const p of inv.pods.filter((p) => p.injected || enabled(inv, p.namespace))) {
    const key = `${p.namespace}/${p.serviceAccount}`;
    bySa.set(key, [...(bySa.get(key) ?? []), p]);
  }
  const out: Finding[] = [];
  for (const [key, pods] of bySa) {
    const workloads = [...new Set(pods.map((p) => p.workload))].sort();
    if (workloads.length < 2 || pods[0]!.serviceAccount === 'default') continue;
    const [ns, sa] = key.split('/') as [string, string];
    out.push({
      code: FindingCode.SharedServiceAccount,
      severity: 'medium',
      namespace: ns,
      object: `serviceaccount/${sa}`,
      spiffeId: spiffeIdOf(inv.trustDomain, ns, sa),
      message: `one identity is shared by ${workloads.length} workloads (${workloads.join(', ')}): policy cannot tell them apart`,
    });
  }
  return out;
}

function certificateRules(inv: Inventory, opts: AuditOptions): Finding[] {
  const out: Finding[] = [];
  const now = opts.now.getTime();
  for (const r of inv.records) {
    const cert = currentCertificate(r);
    if (!cert) continue;
    const base = {
      namespace: r.namespace,
      object: `serviceaccount/${r.serviceAccount}`,
      spiffeId: r.spiffeId,
    };
    const left = Date.parse(cert.notAfter) - now;
    const holders = inv.pods.filter(
      (p) => p.namespace === r.namespace && p.serviceAccount === r.serviceAccount,
    );
    if (left <= 0 && holders.some((p) => p.injected)) {
      out.push({
        ...base,
        code: FindingCode.CertificateExpired,
        severity: 'high',
        message: `newest certificate ${cert.serial} expired at ${cert.notAfter}; its pods cannot renew`,
      });
    } else if (left > 0 && left < opts.expiringWithinMs) {
      out.push({
        ...base,
        code: FindingCode.CertificateExpiring,
        severity: 'medium',
        message: `newest certificate ${cert.serial} expires at ${cert.notAfter}`,
      });
    }
    if (left > 0 && holders.length === 0) {
      out.push({
        ...base,
        code: FindingCode.OrphanCertificate,
        severity: 'low',
        message: `live certificate ${cert.serial} (until ${cert.notAfter}) but no pod holds this identity`,
      });
    }
  }
  return out;
}

function bundleRules(inv: Inventory): Finding[] {
  const out: Finding[] = [];
  for (const ns of inv.namespaces) {
    const meshed =
      ns.injectionEnabled || inv.pods.some((p) => p.namespace === ns.name && p.injected);
    if (!meshed) continue;
    const base = { namespace: ns.name, object: 'configmap/weft-trust-bundle' };
    if (ns.bundle === undefined) {
      out.push({
        ...base,
        code: FindingCode.TrustBundleMissing,
        severity: 'high',
        message: 'trust bundle missing: sidecars here cannot verify peers',
      });
    } else if (inv.roots !== undefined && ns.bundle.trim() !== inv.roots.trim()) {
      out.push({
        ...base,
        code: FindingCode.TrustBundleStale,
        severity: 'high',
        message: 'trust bundle differs from the CA’s roots',
      });
    }
  }
  return out;
}

export function audit(inv: Inventory, opts: AuditOptions): Finding[] {
  return [
    ...podRules(inv),
    ...captureRules(inv),
    ...sharedAccounts(inv),
    ...certificateRules(inv, opts),
    ...bundleRules(inv),
  ].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.code.localeCompare(b.code) ||
      a.namespace.localeCompare(b.namespace) ||
      a.object.localeCompare(b.object),
  );
}
