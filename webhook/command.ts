// `weft webhook`: the injector on its own, with a throwaway serving CA (one
// replica, or local development with --register). In-cluster, the default install
// runs it inside `weft control-plane`, which serves a certificate from weft's CA.
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import { WEBHOOK_DNS_NAMES, WebhookConfigSchema, webhookFlags } from './config.js';
import { localServingTls } from './local-tls.js';
import { startWebhook } from './main.js';

export const WEBHOOK_USAGE = `Usage: weft webhook [flags]

Runs the sidecar injector: POST /inject takes admission.k8s.io/v1 AdmissionReviews.

Flags:
  --listen HOST:PORT               (default 0.0.0.0:15017)
  --kubeconfig PATH                (default: in-cluster, else $KUBECONFIG)
  --register[=true|false]          register weft-injector pointing at this process; remove it on exit
  --failure-policy Fail|Ignore     for --register (default Fail)
  --native-sidecars auto|on|off    (default auto: on from Kubernetes 1.29)
  --image REF                      weft image for weft-init and weft-proxy
  --ca-address HOST:PORT           where sidecars reach the CA (default weft-ca.weft-system.svc:15012)
  --discovery-address H:P[,H:P]    where sidecars reach discovery (default: the CA's host, 15010)
  --trust-domain NAME              (default cluster.local)
  --cluster-domain NAME            the cluster's DNS domain, for sidecars (default cluster.local)
  --proxy-log-level LEVEL          (default info)
  --token-expiration-seconds N     projected token lifetime (default 3600)
  --exclude-outbound-cidr CIDR     repeatable; never captured
  --capture-overrides none|narrow|any
                                   capture annotations pod authors may use (default narrow:
                                   a few ports and small address ranges); a Namespace's
                                   weft.dev/capture-overrides annotation overrides it there
  --allow-proxy-image REF          repeatable; an image (or prefix ending in *) that
                                   weft.dev/proxy-image may name (default: none may)
  --log-level debug|info|warn|error
`;

export async function runWebhookCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(WEBHOOK_USAGE);
    return 0;
  }
  const config = parseConfig(WebhookConfigSchema, parseFlags(args, webhookFlags));
  const log = createLogger({ component: 'webhook' }, config.logLevel);
  const registry = withProcessMetrics(createRegistry('webhook'));
  const tls = await localServingTls(WEBHOOK_DNS_NAMES, ['127.0.0.1']);
  const webhook = await startWebhook(config, tls, registry, log);
  onShutdownSignal(log, () => webhook.stop());
  return new Promise<number>(() => undefined);
}
