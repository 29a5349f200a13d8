// `weft discovery`: discovery alone (weft control-plane runs it beside the CA and the
// webhook). Alone it has no CA in the process, so its serving certificate (issued
// for the control plane's SPIFFE ID), key and the mesh's roots come from PEM files,
// typically a mounted Secret; they are read at start.
import { readFile } from 'node:fs/promises';
import { ErrorCode, WeftError } from '../src/errors.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import { DiscoveryConfigSchema, discoveryFlags } from './config.js';
import type { DiscoveryConfig } from './config.js';
import { startDiscovery } from './main.js';
import type { DiscoveryTls } from './main.js';

export const DISCOVERY_USAGE = `Usage: weft discovery [flags]

Runs discovery alone: watches Services, EndpointSlices, Pods and PeerAuthentications
and streams each sidecar its view over mTLS (HTTP/2 + NDJSON).

Flags:
  --tls-cert FILE --tls-key FILE   serving certificate (SPIFFE ID of weft-control-plane) and key
  --roots FILE                     the mesh's roots; sidecars' certificates must chain to them
  --listen HOST:PORT               (default 0.0.0.0:15010)
  --debug-listen HOST:PORT         /debug/syncz, loopback only (default 127.0.0.1:15014)
  --kubeconfig PATH                (default: in-cluster, else $KUBECONFIG)
  --trust-domain NAME              (default cluster.local)
  --root-namespace NAME            where a selector-less PeerAuthentication is mesh-wide
                                   (default weft-system)
  --debounce-ms N                  quiet time after the last change before a push (default 100)
  --debounce-max-ms N              longest a change waits under churn (default 10000)
  --ping-interval-ms N             keepalive PING to each sidecar (default 10000)
  --ping-deadline-ms N             a PING unanswered this long closes the connection (default 5000)
  --push-batch N                   sidecars pushed to before yielding (default 64)
  --log-level debug|info|warn|error
`;

async function readTls(config: DiscoveryConfig): Promise<DiscoveryTls> {
  const { tlsCert, tlsKey, roots } = config;
  if (!tlsCert || !tlsKey || !roots) {
    throw new WeftError(
      ErrorCode.ConfigInvalid,
      'invalid configuration: --tls-cert, --tls-key and --roots are required to run discovery alone',
    );
  }
  const [cert, key, rootsPem] = await Promise.all(
    [tlsCert, tlsKey, roots].map((f) => readFile(f, 'utf8')),
  );
  return { cert: cert!, key: key!, roots: rootsPem! };
}

export async function runDiscoveryCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(DISCOVERY_USAGE);
    return 0;
  }
  const config = parseConfig(DiscoveryConfigSchema, parseFlags(args, discoveryFlags));
  const tls = await readTls(config);
  const log = createLogger({ component: 'discovery' }, config.logLevel);
  const registry = withProcessMetrics(createRegistry('discovery'));
  const discovery = await startDiscovery(config, tls, registry, log);
  onShutdownSignal(log, () => discovery.stop());
  return new Promise<number>(() => undefined);
}
