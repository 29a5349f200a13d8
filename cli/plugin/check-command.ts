// `kubectl weft check`: ✓/!/✗ lines for the installation. Exits 1 on any ✗.
import tls from 'node:tls';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import type { V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import { parseCertificates } from '../../src/pki/index.js';
import type { x509 } from '../../src/pki/index.js';
import { CA_SECRET_NAME, WEFT_NAMESPACE } from '../../src/names.js';
import { VERSION } from '../../src/version.js';
import { PluginExit, explain } from './errors.js';
import { gather } from './gather.js';
import type { GlobalOptions } from './options.js';
import { parseOptions } from './options.js';
import { structured } from './output.js';

export const CHECK_USAGE = `Usage: kubectl weft check [-o table|json]

Checks the installation: CRDs, the control plane, root and intermediate validity
(warns under 60 days), the injector's webhook configuration and its caBundle,
trust bundles in injection-enabled namespaces, and the versions in use.
Exits 1 when a check fails.
`;

type Status = 'ok' | 'warn' | 'fail';
interface Check {
  readonly status: Status;
  readonly name: string;
  readonly detail: string;
}
const MARK: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗' };
const WARN_DAYS = 60;

const safe = async (name: string, f: () => Promise<Check>): Promise<Check> =>
  f().catch((err: unknown) => ({
    status: 'fail' as const,
    name,
    detail: explain(err, name).message,
  }));

function validity(kind: string, certs: x509.X509Certificate[]): Check {
  if (!certs.length) return { status: 'fail', name: `${kind} validity`, detail: 'not found' };
  const soonest = certs.reduce((a, b) => (a.notAfter < b.notAfter ? a : b));
  const days = Math.floor((soonest.notAfter.getTime() - Date.now()) / 864e5);
  const status: Status = days < 0 ? 'fail' : days < WARN_DAYS ? 'warn' : 'ok';
  return {
    status,
    name: `${kind} validity`,
    detail: `${soonest.subject} expires ${soonest.notAfter.toISOString()} (${days} days)`,
  };
}

async function issuerCerts(core: CoreV1Api): Promise<x509.X509Certificate[]> {
  const s = await core.readNamespacedSecret({ namespace: WEFT_NAMESPACE, name: CA_SECRET_NAME });
  return parseCertificates(Buffer.from(s.data?.['issuer.crt'] ?? '', 'base64').toString());
}

/** For a URL client config (weft run outside the cluster), the serving certificate itself. */
function servingChainOk(url: string, caPem: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = tls.connect(
      {
        host: u.hostname,
        port: Number(u.port || 443),
        ca: caPem,
        servername: u.hostname === '127.0.0.1' ? undefined : u.hostname,
        timeout: 3000,
      },
      () => {
        s.end();
        resolve(true);
      },
    );
    s.on('error', () => resolve(false));
    s.on('timeout', () => s.destroy());
  });
}

async function webhookCheck(g: GlobalOptions, roots: string | undefined): Promise<Check> {
  const name = 'webhook configuration';
  const api = g.kc.makeApiClient(AdmissionregistrationV1Api);
  const cfg: V1MutatingWebhookConfiguration = await api.readMutatingWebhookConfiguration({
    name: 'weft-injector',
  });
  const bundles = (cfg.webhooks ?? []).map((w) =>
    Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString(),
  );
  if (!bundles.length || bundles.some((b) => !b))
    return { status: 'fail', name, detail: 'weft-injector has no caBundle yet' };
  const url = cfg.webhooks?.[0]?.clientConfig.url;
  if (url) {
    const ok = await servingChainOk(url, bundles[0]!);
    return {
      status: ok ? 'ok' : 'fail',
      name,
      detail: ok
        ? `${url}: serving certificate verifies against caBundle`
        : `${url}: serving certificate does not verify against caBundle (or is unreachable)`,
    };
  }
  const want = roots ? parseCertificates(roots) : [];
  const match =
    want.length > 0 &&
    bundles.every((b) => want.every((r) => parseCertificates(b).some((c) => c.equal(r))));
  return {
    status: match ? 'ok' : 'fail',
    name,
    detail: match
      ? 'caBundle holds weft’s roots, which sign the webhook’s certificate'
      : 'caBundle does not hold weft’s current roots',
  };
}

async function controlPlaneCheck(g: GlobalOptions): Promise<Check> {
  const name = 'control plane';
  try {
    const d = await g.kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ namespace: WEFT_NAMESPACE, name: 'weft-control-plane' });
    const ready = d.status?.availableReplicas ?? 0;
    if (ready > 0)
      return {
        status: 'ok',
        name,
        detail: `${ready}/${d.spec?.replicas ?? 0} replicas available (${d.spec?.template.spec?.containers[0]?.image ?? ''})`,
      };
  } catch {
    // fall through: maybe weft runs outside the cluster
  }
  const cfg = await g.kc
    .makeApiClient(AdmissionregistrationV1Api)
    .readMutatingWebhookConfiguration({ name: 'weft-injector' })
    .catch(() => undefined);
  const url = cfg?.webhooks?.[0]?.clientConfig.url;
  if (url) return { status: 'ok', name, detail: `runs outside the cluster (webhook at ${url})` };
  return { status: 'fail', name, detail: 'no available weft-control-plane replica in weft-system' };
}

async function runChecks(g: GlobalOptions): Promise<Check[]> {
  const core = g.kc.makeApiClient(CoreV1Api);
  const inv = await gather({ ...g, namespace: undefined });
  const roots = inv.roots;
  const enabled = inv.namespaces.filter((n) => n.injectionEnabled);
  const badBundles = enabled.filter(
    (n) => n.bundle === undefined || (roots !== undefined && n.bundle.trim() !== roots.trim()),
  );
  const server = await g.kc.makeApiClient(VersionApi).getCode();
  const podVersions = [
    ...new Set(inv.pods.map((p) => p.weftVersion).filter((v): v is string => !!v)),
  ].sort();
  return Promise.all([
    safe('CRDs', async () => {
      const crd = await g.kc
        .makeApiClient(ApiextensionsV1Api)
        .readCustomResourceDefinition({ name: 'workloadidentities.weft.dev' });
      const ok = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      return {
        status: ok ? 'ok' : 'fail',
        name: 'CRDs',
        detail: `workloadidentities.weft.dev ${ok ? 'established' : 'not established'}`,
      };
    }),
    safe('control plane', () => controlPlaneCheck(g)),
    Promise.resolve(validity('root', roots ? parseCertificates(roots) : [])),
    safe('intermediate validity', async () => validity('intermediate', await issuerCerts(core))),
    safe('webhook configuration', () => webhookCheck(g, roots)),
    Promise.resolve<Check>({
      status: badBundles.length ? 'fail' : 'ok',
      name: 'trust bundles',
      detail: badBundles.length
        ? `missing or stale in ${badBundles.map((n) => n.name).join(', ')}`
        : `current in ${enabled.length} injection-enabled namespace(s)`,
    }),
    Promise.resolve<Check>({
      status: podVersions.length > 1 ? 'warn' : 'ok',
      name: 'versions',
      detail: `kubectl-weft ${VERSION}; Kubernetes ${server.gitVersion}; injected pods: ${podVersions.join(', ') || 'none'}`,
    }),
  ]);
}

export async function runCheck(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CHECK_USAGE);
    return PluginExit.Ok;
  }
  const { global: g } = parseOptions(args, {}, ['table', 'json']);
  let checks: Check[];
  try {
    checks = await runChecks(g);
  } catch (err) {
    throw explain(err, 'checking the installation', g.server);
  }
  if (g.output === 'json')
    process.stdout.write(
      structured('json', { apiVersion: 'weft.dev/v1alpha1', kind: 'CheckReport', checks }),
    );
  else
    process.stdout.write(
      checks.map((c) => `${MARK[c.status]} ${c.name}: ${c.detail}`).join('\n') + '\n',
    );
  return checks.some((c) => c.status === 'fail') ? PluginExit.Findings : PluginExit.Ok;
}
