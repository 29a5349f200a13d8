// `weft discovery`: discovery alone (weft control-plane runs it beside the CA and the
// webhook). Alone it has no CA in the process, so its serving certificate (issued
// for the control plane's SPIFFE ID), key and the mesh's roots come from PEM files,
// typically a mounted Secret; they are reloaded when they change (tls-files.ts).
// /healthz, /readyz and /metrics are served on --health-listen.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, WeftError } from '../src/errors.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { createApp, finishApp } from '../src/http/app.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import type { Logger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import type { Registry } from 'prom-client';
import { DiscoveryConfigSchema, discoveryFlags } from './config.js';
import type { DiscoveryConfig } from './config.js';
import { startDiscovery } from './main.js';
import type { RunningDiscovery } from './main.js';
import type { TlsFiles } from './tls-files.js';
import { loadTls, reloadTls } from './tls-files.js';

export const DISCOVERY_USAGE = `Usage: weft discovery [flags]

Runs discovery alone: watches Services, EndpointSlices, Pods and PeerAuthentications
and streams each sidecar its view over mTLS (HTTP/2 + NDJSON).

Flags:
  --tls-cert FILE --tls-key FILE   serving certificate (SPIFFE ID of weft-control-plane) and key
  --roots FILE                     the mesh's roots; sidecars' certificates must chain to them
                                   (all three re-read when they change; a bad set is refused)
  --tls-reload-ms N                how often the three files are checked (default 5000)
  --listen HOST:PORT               (default 0.0.0.0:15010)
  --debug-listen HOST:PORT         /debug/syncz, loopback only (default 127.0.0.1:15014)
  --health-listen HOST:PORT        /healthz, /readyz, /metrics over HTTP (default 0.0.0.0:15021)
  --kubeconfig PATH                (default: in-cluster, else $KUBECONFIG)
  --trust-domain NAME              (default cluster.local)
  --root-namespace NAME            where a selector-less PeerAuthentication is mesh-wide
                                   (default weft-system)
  --debounce-ms N                  quiet time after the last change before a push (default 100)
  --debounce-max-ms N              longest a change waits under churn (default 10000)
  --ping-interval-ms N             keepalive PING to each sidecar (default 10000)
  --ping-deadline-ms N             a PING unanswered this long closes the connection (default 20000)
  --push-batch N                   sidecars pushed to before yielding (default 64)
  --watch-grace-ms N               a watch failing this long makes /readyz 503 (default 30000)
  --log-level debug|info|warn|error
`;

function tlsFiles(config: DiscoveryConfig): TlsFiles {
  const { tlsCert, tlsKey, roots } = config;
  if (!tlsCert || !tlsKey || !roots) {
    throw new WeftError(
      ErrorCode.ConfigInvalid,
      'invalid configuration: --tls-cert, --tls-key and --roots are required to run discovery alone',
    );
  }
  return { cert: tlsCert, key: tlsKey, roots };
}

async function serveHealth(
  config: DiscoveryConfig,
  discovery: RunningDiscovery,
  registry: Registry,
  log: Logger,
): Promise<http.Server> {
  const app = createApp({ registry, log, ready: () => discovery.ready(), bodyLimitBytes: 1024 });
  finishApp(app, log);
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.healthListen.port, config.healthListen.host, () => resolve());
  });
  log.info('discovery health listening', { port: (server.address() as AddressInfo).port });
  return server;
}

export async function runDiscoveryCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(DISCOVERY_USAGE);
    return 0;
  }
  const config = parseConfig(DiscoveryConfigSchema, parseFlags(args, discoveryFlags));
  const files = tlsFiles(config);
  const tls = await loadTls(files);
  const log = createLogger({ component: 'discovery' }, config.logLevel);
  const registry = withProcessMetrics(createRegistry('discovery'));
  const discovery = await startDiscovery(config, tls, registry, log);
  const health = await serveHealth(config, discovery, registry, log);
  const stopReload = reloadTls(files, tls, {
    intervalMs: config.tlsReloadMs,
    apply: (next) => discovery.setTls(next),
    log,
  });
  onShutdownSignal(log, async () => {
    stopReload();
    await discovery.stop();
    health.close();
  });
  return new Promise<number>(() => undefined);
}
