// `weft sidecar`: the weft-proxy container. Flags fall back to the WEFT_*
// environment the injector sets.
import { PROBERS_ENV, parseProbers } from '../src/app-probes.js';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { onShutdownSignal } from '../src/http/serve.js';
import { createLogger } from '../src/log.js';
import { createRegistry, withProcessMetrics } from '../src/metrics.js';
import { SidecarConfigSchema, sidecarFlags, withEnvironment } from './config.js';
import { startSidecar } from './main.js';

export const SIDECAR_USAGE = `Usage: weft sidecar [flags]

Runs the pod's proxy: outbound capture (15001) with per-request load balancing
and mTLS to other sidecars, inbound capture (15006) terminating mTLS, admin on
127.0.0.1:15000 and health/metrics on :15020. Each flag falls back to the
environment variable in brackets, which the injector sets.

Flags:
  --mesh-config FILE             services, endpoints, modes (YAML/JSON) [WEFT_MESH_CONFIG]
  --discovery-address H:P[,H:P]  stream the mesh from the control plane [WEFT_DISCOVERY_ADDRESS]
  --discovery-wait-ms N          a first request waits this long for its service's
                                 endpoints, then fails closed with 503 (default 5000)
  --discovery-idle-seconds N     endpoints unused this long are dropped (default 300)
  --ca-address HOST:PORT         weft's CA [WEFT_CA_ADDRESS]
  --token-file PATH              ServiceAccount token for the CA [WEFT_TOKEN_FILE]
  --trust-bundle-file PATH       the mesh's roots (watched) [WEFT_TRUST_BUNDLE_FILE]
  --trust-domain NAME            (default cluster.local) [WEFT_TRUST_DOMAIN]
  --pod-name, --pod-namespace, --pod-ip   [WEFT_POD_NAME, WEFT_POD_NAMESPACE, WEFT_POD_IP]
  --workload NAME                for metrics (default: the pod name without hashes) [WEFT_WORKLOAD]
  --admin-listen HOST:PORT       (default 127.0.0.1:15000)
  --health-listen HOST:PORT      (default 0.0.0.0:15020)
  --outbound-listen HOST:PORT    (default 0.0.0.0:15001)
  --inbound-listen HOST:PORT     (default 0.0.0.0:15006)
  --cert-ttl-seconds N           requested certificate lifetime (default: the CA's)
  --drain-seconds N              inbound drain on SIGTERM (default 5)
  --reload-seconds N             mesh config and trust bundle polling (default 2)
  --access-log true|false        one JSON line per request on stdout (default false) [WEFT_ACCESS_LOG]
  --max-connections N            per listener (default 16384)
  --max-header-bytes N           request head limit (default 16384)
  --idle-timeout-seconds N       idle HTTP client connections close (default 300)
  --first-byte-timeout-seconds N a client whose first bytes decide its protocol
                                 (TLS or not, HTTP or not) must send them within N (default 10)
  --header-timeout-seconds N     a request head must be whole within N (default 20)
  --tcp-idle-timeout-seconds N   opaque TCP streams with no byte either way close (default 3600)
  --log-level debug|info|warn|error  (default info) [WEFT_LOG_LEVEL]
`;

export async function runSidecarCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(SIDECAR_USAGE);
    return 0;
  }
  const input = withEnvironment(parseFlags(args, sidecarFlags), process.env);
  const config = parseConfig(SidecarConfigSchema, input);
  const log = createLogger({ component: 'sidecar', pod: config.podName }, config.logLevel);
  const accessLog = config.accessLog
    ? createLogger({ component: 'sidecar', log: 'access' }, 'info', (l) =>
        process.stdout.write(l + '\n'),
      )
    : undefined;
  const registry = withProcessMetrics(createRegistry('sidecar'));
  const sidecar = await startSidecar(config, registry, log, {
    probers: parseProbers(process.env[PROBERS_ENV]),
    accessLog,
    onQuit: () => process.exit(0),
  });
  onShutdownSignal(log, () => sidecar.stop());
  await new Promise<never>(() => undefined);
  return 0;
}
