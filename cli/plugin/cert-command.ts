// `kubectl weft cert POD`: the pod's current certificate chain, readable, and
// whether it verifies against its namespace's trust bundle.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { parseCertificates, verifyChain, x509 } from '../../src/pki/index.js';
import type { ChainVerdict } from '../../src/pki/index.js';
import { TRUST_BUNDLE_CONFIGMAP, TRUST_BUNDLE_KEY } from '../../src/names.js';
import { PluginError, PluginExit, explain } from './errors.js';
import { parseOptions } from './options.js';
import type { GlobalOptions } from './options.js';
import { structured } from './output.js';

export const CERT_USAGE = `Usage: kubectl weft cert POD [-n NS] [-o table|json|yaml]

Shows the certificate weft's CA last issued to POD (from its identity's issuance
record): each certificate's subject, SPIFFE ID, issuer, serial, validity and key
type, and whether the chain verifies against the namespace's weft-trust-bundle.
Exits 1 when it does not verify.
`;

interface RecordStatus {
  issuerChain?: string;
  certificates?: { pod?: string; notBefore: string; certificate?: string; path: string }[];
}

function describeCert(c: x509.X509Certificate): Record<string, string> {
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  const alg = c.publicKey.algorithm as Algorithm & { namedCurve?: string; modulusLength?: number };
  return {
    subject: c.subject || '(empty)',
    spiffeId: san?.names.items.find((n) => n.type === 'url')?.value ?? '-',
    issuer: c.issuer,
    serial: c.serialNumber,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    keyType: alg.namedCurve
      ? `${alg.name} ${alg.namedCurve}`
      : `${alg.name} ${alg.modulusLength ?? ''}`.trim(),
  };
}

async function records(kc: CustomObjectsApi, namespace: string, sa: string): Promise<RecordStatus> {
  const ref = {
    group: 'weft.dev',
    version: 'v1alpha1',
    plural: 'workloadidentities',
    namespace,
    name: sa,
  };
  return ((await kc.getNamespacedCustomObject(ref)) as { status?: RecordStatus }).status ?? {};
}

interface Sources {
  readonly sa: string;
  readonly status: RecordStatus;
  readonly bundle: string;
}

async function sources(g: GlobalOptions, namespace: string, podName: string): Promise<Sources> {
  const core = g.kc.makeApiClient(CoreV1Api);
  let pod;
  try {
    pod = await core.readNamespacedPod({ namespace, name: podName });
  } catch (err) {
    throw explain(err, `reading pod ${namespace}/${podName}`, g.server);
  }
  const sa = pod.spec?.serviceAccountName ?? 'default';
  const status = await records(g.kc.makeApiClient(CustomObjectsApi), namespace, sa).catch(
    (err: unknown) => {
      throw explain(err, `reading the issuance record of ${namespace}/${sa}`, g.server);
    },
  );
  const cm = await core
    .readNamespacedConfigMap({ namespace, name: TRUST_BUNDLE_CONFIGMAP })
    .catch(() => undefined);
  return { sa, status, bundle: cm?.data?.[TRUST_BUNDLE_KEY] ?? '' };
}

function render(
  report: Record<string, unknown> & { chain: Record<string, string>[] },
  verdictLine: string,
): string {
  const lines = [`Pod:       ${String(report.pod)}`, `Path:      ${String(report.path)}`];
  report.chain.forEach((c, i) => {
    lines.push('', `Certificate ${i} (${i === 0 ? 'leaf' : 'intermediate'}):`);
    for (const [k, v] of Object.entries(c)) lines.push(`  ${k.padEnd(10)} ${v}`);
  });
  lines.push('', verdictLine);
  return lines.join('\n') + '\n';
}

function verdictReason(v: ChainVerdict, bundle: string): string {
  if (v.ok) return '';
  return bundle ? v.reason : 'the namespace has no weft-trust-bundle';
}

/** The newest recorded certificate that names this pod. */
function latestFor(
  status: RecordStatus,
  podName: string,
): NonNullable<RecordStatus['certificates']>[number] | undefined {
  const mine = (status.certificates ?? []).filter((c) => c.pod === podName && c.certificate);
  return mine.sort((a, b) => Date.parse(b.notBefore) - Date.parse(a.notBefore))[0];
}

export async function runCert(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CERT_USAGE);
    return PluginExit.Ok;
  }
  const { global: g, positionals } = parseOptions(args, {}, ['table', 'json', 'yaml']);
  const [podName, extra] = positionals;
  if (!podName || extra) throw new PluginError('expected exactly one POD name', PluginExit.Usage);
  const namespace = g.namespace ?? 'default';
  const { sa, status, bundle } = await sources(g, namespace, podName);
  const latest = latestFor(status, podName);
  if (!latest?.certificate) {
    throw new PluginError(
      `no certificate recorded for pod ${namespace}/${podName} (ServiceAccount ${sa})`,
      PluginExit.NotFound,
    );
  }
  const chain = parseCertificates(latest.certificate + (status.issuerChain ?? ''));
  const verdict = await verifyChain({
    leaf: chain[0]!,
    intermediates: chain.slice(1),
    roots: parseCertificates(bundle),
  });
  const reason = verdictReason(verdict, bundle);
  const report = {
    pod: `${namespace}/${podName}`,
    path: latest.path,
    chain: chain.map(describeCert),
    verifies: verdict.ok,
    ...(verdict.ok ? { root: verdict.root.subject } : { reason }),
  };
  const line = verdict.ok
    ? `Verifies against weft-trust-bundle: yes (root ${verdict.root.subject})`
    : `Verifies against weft-trust-bundle: NO: ${reason}`;
  const format = g.output === 'yaml' ? 'yaml' : 'json';
  process.stdout.write(g.output === 'table' ? render(report, line) : structured(format, report));
  return verdict.ok ? PluginExit.Ok : PluginExit.Findings;
}
