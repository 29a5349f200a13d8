// `weft control-plane`: the CA and the injection webhook in one process, the
// default install. The webhook serves a certificate from weft's own CA and the
// webhook configuration's caBundle is weft's roots, kept current by this process.
import { z } from 'zod';
import { CaConfigSchema } from '../ca/config.js';
import type { CaConfig } from '../ca/config.js';
import { startCa } from '../ca/main.js';
import { DiscoveryConfigSchema } from '../discovery/config.js';
import type { DiscoveryConfig } from '../discovery/config.js';
import { startDiscovery } from '../discovery/main.js';
import type { RunningCa } from '../ca/main.js';
import { issueServingCertificate } from '../ca/serving-cert.js';
import { WEBHOOK_DNS_NAMES, WebhookConfigSchema } from '../webhook/config.js';
import type { WebhookConfig } from '../webhook/config.js';
import { startWebhook } from '../webhook/main.js';
import { discoveryAddress } from '../webhook/sidecar-spec.js';
import type { ServingTls } from '../webhook/main.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { loadKubeConfig } from '../src/k8s/client.js';
import { ensurePrerequisites } from './first-run.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import { WEFT_NAMESPACE } from '../src/names.js';

export const CONTROL_PLANE_USAGE = `Usage: weft control-plane [flags]

Runs weft's control plane: the certificate authority, the sidecar injector and
discovery (each sidecar's config stream).
From outside a cluster, this brings weft up against it:

  weft control-plane --kubeconfig ~/.kube/config --register

Flags:
  --kubeconfig PATH                (default: in-cluster, else $KUBECONFIG)
  --ca-listen HOST:PORT            (default 0.0.0.0:15012)
  --webhook-listen HOST:PORT       (default 0.0.0.0:15017)
  --discovery-listen HOST:PORT     (default 0.0.0.0:15010); injected sidecars dial its port
  --discovery-debug-listen HOST:PORT   /debug/syncz, loopback only (default 127.0.0.1:15014);
                                   kubectl weft proxy-status reaches it by port-forward
  --discovery-address H:P[,H:P]    what injected sidecars dial instead (default: the CA's host,
                                   --discovery-listen's port)
  --cluster-domain NAME            the cluster's DNS domain, for sidecars (default cluster.local)
  --debounce-ms N  --debounce-max-ms N    discovery's quiet time and longest wait (100, 10000)
  --ping-interval-ms N  --ping-deadline-ms N   discovery keepalive and its deadline (10000, 20000)
  --register[=true|false]          register weft-injector pointing at this process; remove it on exit;
                                   first creates the weft-system namespace and weft's CRDs if missing
  --failure-policy Fail|Ignore     (default Fail)
  --native-sidecars auto|on|off    (default auto)
  --image REF   --ca-address HOST:PORT   --trust-domain NAME   --log-level LEVEL
  --max-lifetime-seconds N         (default 172800)
  --capture-overrides none|narrow|any   capture annotations pod authors may use (default narrow)
  --allow-proxy-image REF          repeatable; images weft.dev/proxy-image may name (default none)
  --online-root[=true|false]       the CA keeps the root key and renews its intermediate
                                   (default: offline root; see weft ca --help)
`;

const flags = {
  kubeconfig: {},
  'ca-listen': {},
  'webhook-listen': {},
  'discovery-listen': {},
  'discovery-debug-listen': {},
  'discovery-address': {},
  'cluster-domain': {},
  'debounce-ms': {},
  'debounce-max-ms': {},
  'ping-interval-ms': {},
  'ping-deadline-ms': {},
  'require-reference-grant': { boolean: true },
  register: { boolean: true },
  'failure-policy': {},
  'native-sidecars': {},
  image: {},
  'ca-address': {},
  'trust-domain': {},
  'log-level': {},
  'max-lifetime-seconds': {},
  'capture-overrides': {},
  'allow-proxy-image': { multiple: true },
  'online-root': { boolean: true },
};

const Schema = z.strictObject({
  kubeconfig: z.string().optional(),
  caListen: z.string().optional(),
  webhookListen: z.string().optional(),
  discoveryListen: z.string().optional(),
  discoveryDebugListen: z.string().optional(),
  discoveryAddress: z.string().optional(),
  clusterDomain: z.string().optional(),
  debounceMs: z.string().optional(),
  debounceMaxMs: z.string().optional(),
  pingIntervalMs: z.string().optional(),
  pingDeadlineMs: z.string().optional(),
  requireReferenceGrant: z.string().optional(),
  register: z.string().optional(),
  failurePolicy: z.string().optional(),
  nativeSidecars: z.string().optional(),
  image: z.string().optional(),
  caAddress: z.string().optional(),
  trustDomain: z.string().optional(),
  logLevel: z.string().optional(),
  maxLifetimeSeconds: z.string().optional(),
  captureOverrides: z.string().optional(),
  allowProxyImage: z.array(z.string()).optional(),
  onlineRoot: z.string().optional(),
});

const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The three components' configs from `weft control-plane`'s flags (exported for tests). */
export function controlPlaneConfigs(args: readonly string[]): {
  ca: CaConfig;
  webhook: WebhookConfig;
  discovery: DiscoveryConfig;
} {
  const f = parseConfig(Schema, parseFlags(args, flags));
  const shared = { kubeconfig: f.kubeconfig, trustDomain: f.trustDomain, logLevel: f.logLevel };
  const ca = parseConfig(
    CaConfigSchema,
    defined({
      ...shared,
      listen: f.caListen,
      maxLifetimeSeconds: f.maxLifetimeSeconds,
      onlineRoot: f.onlineRoot,
    }),
  );
  const discovery = parseConfig(
    DiscoveryConfigSchema,
    defined({
      ...shared,
      listen: f.discoveryListen,
      debugListen: f.discoveryDebugListen,
      debounceMs: f.debounceMs,
      debounceMaxMs: f.debounceMaxMs,
      pingIntervalMs: f.pingIntervalMs,
      pingDeadlineMs: f.pingDeadlineMs,
      requireReferenceGrant: f.requireReferenceGrant,
    }),
  );
  const webhook = parseConfig(
    WebhookConfigSchema,
    defined({
      ...shared,
      listen: f.webhookListen,
      register: f.register,
      failurePolicy: f.failurePolicy,
      nativeSidecars: f.nativeSidecars,
      image: f.image,
      caAddress: f.caAddress,
      discoveryAddress: f.discoveryAddress,
      clusterDomain: f.clusterDomain,
      captureOverrides: f.captureOverrides,
      allowProxyImage: f.allowProxyImage,
    }),
  );
  // Sidecars dial the port discovery listens on (the Service maps it one to one), on the
  // CA's host, unless told otherwise. Port 0 (tests) is only known once listening.
  const port = discovery.listen.port;
  const dial =
    webhook.discoveryAddress ?? (port ? discoveryAddress(webhook.caAddress, port) : undefined);
  return { ca, webhook: { ...webhook, ...(dial ? { discoveryAddress: dial } : {}) }, discovery };
}

async function webhookTls(
  ca: RunningCa,
  config: CaConfig,
  local: boolean,
): Promise<ServingTls & { renewAt: number }> {
  const issued = await issueServingCertificate(
    ca.authority(),
    {
      trustDomain: config.trustDomain,
      namespace: WEFT_NAMESPACE,
      dnsNames: WEBHOOK_DNS_NAMES,
      ips: local ? ['127.0.0.1'] : [],
    },
    {
      defaultLifetimeSeconds: config.maxLifetimeSeconds,
      maxLifetimeSeconds: config.maxLifetimeSeconds,
      backdateSeconds: 60,
    },
  );
  const half = (issued.notBefore.getTime() + issued.notAfter.getTime()) / 2;
  return { cert: issued.cert, key: issued.key, caPem: ca.roots(), renewAt: half };
}

export async function runControlPlane(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CONTROL_PLANE_USAGE);
    return 0;
  }
  const {
    ca: caConfig,
    webhook: webhookConfig,
    discovery: discoveryConfig,
  } = controlPlaneConfigs(args);
  const log = createLogger({ component: 'control-plane' }, caConfig.logLevel);
  // From outside a fresh cluster, create the namespace and CRDs (or say what to apply).
  if (webhookConfig.register) {
    await ensurePrerequisites(
      loadKubeConfig(caConfig.kubeconfig),
      log.child({ component: 'first-run' }),
    );
  }
  const registry = withProcessMetrics(createRegistry('control-plane'));
  // /readyz (served by the CA) includes discovery: a replica whose informers have not
  // listed, or whose stream server is not listening, must get no sidecars from the Service.
  let discoveryReady = (): string | undefined => 'discovery starting';
  // The webhook too: a replica the Service marks ready gets AdmissionReviews, and with
  // failurePolicy Fail a review that finds no listener refuses the pod.
  let webhookReady = (): string | undefined => 'webhook starting';
  const ca = await startCa(caConfig, registry, log.child({ component: 'ca' }), {
    alsoReady: () => discoveryReady() ?? webhookReady(),
  });
  const local = webhookConfig.register;
  let tls = await webhookTls(ca, caConfig, local);
  // Discovery serves with a certificate for the control plane's identity (which
  // sidecars check) and verifies sidecars against the mesh's roots. It starts before
  // the webhook registers (failure policy Fail): a discovery that cannot start must
  // not leave a registered webhook behind a dead process.
  const discovery = await startDiscovery(
    discoveryConfig,
    { cert: tls.cert, key: tls.key, roots: ca.roots() },
    registry,
    log.child({ component: 'discovery' }),
  );
  // Not the watches: every replica shares the API server, so a failing watch would make
  // all of them unready at once and take the CA and the webhook out of their Services
  // (no certificates, no pods with failurePolicy Fail). It shows in
  // weft_discovery_informer_healthy and `weft discovery`'s own /readyz.
  discoveryReady = () => discovery.ready({ watches: false });
  const webhook = await startWebhook(
    webhookConfig,
    tls,
    registry,
    log.child({ component: 'webhook' }),
  );
  // Follow the CA: a new issuer or root (rotation) or half-life re-issues the
  // webhook's certificate and rewrites the caBundle.
  let issuer = ca.authority().issuer.serialNumber;
  let roots = ca.roots();
  const timer = setInterval(() => {
    const changed = issuer !== ca.authority().issuer.serialNumber || roots !== ca.roots();
    if (!changed && Date.now() < tls.renewAt) return;
    issuer = ca.authority().issuer.serialNumber;
    roots = ca.roots();
    webhookTls(ca, caConfig, local)
      .then(async (next) => {
        // Discovery first: a failed caBundle update must not leave it on an old certificate.
        discovery.setTls({ cert: next.cert, key: next.key, roots: next.caPem });
        await webhook.setTls(next);
        tls = next;
        log.info('webhook certificate renewed');
      })
      .catch((err: unknown) => log.warn('webhook certificate renewal failed', { err }));
  }, 5000);
  if (!local) await webhook.setTls(tls);
  webhookReady = () => undefined;
  onShutdownSignal(log, async () => {
    clearInterval(timer);
    webhookReady = () => 'webhook stopping';
    await webhook.stop();
    await discovery.stop();
    await ca.stop();
  });
  return new Promise<number>(() => undefined);
}
