// `weft sidecar` configuration: flags, falling back to the WEFT_* environment the
// injector sets, validated once at start-up.
import { z } from 'zod';
import {
  boolFlag,
  dnsDomain,
  hostPort,
  hostPortList,
  logLevel,
  positiveInt,
  trustDomain,
} from '../src/config/fields.js';
import type { FlagSpec } from '../src/config/parse.js';
import { Ports } from '../src/capture/capture-spec.js';
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_TRUST_DOMAIN } from '../src/names.js';

export const sidecarFlags: FlagSpec = {
  'mesh-config': {},
  'discovery-address': {},
  'discovery-wait-ms': {},
  'discovery-idle-seconds': {},
  'ca-address': {},
  'token-file': {},
  'trust-bundle-file': {},
  'trust-domain': {},
  'cluster-domain': {},
  'pod-name': {},
  'pod-namespace': {},
  'pod-ip': {},
  workload: {},
  'admin-listen': {},
  'health-listen': {},
  'outbound-listen': {},
  'inbound-listen': {},
  'cert-ttl-seconds': {},
  'drain-seconds': {},
  'reload-seconds': {},
  'access-log': {},
  'max-connections': {},
  'max-header-bytes': {},
  'idle-timeout-seconds': {},
  'first-byte-timeout-seconds': {},
  'header-timeout-seconds': {},
  'tcp-idle-timeout-seconds': {},
  'log-level': {},
};

/** Flag → environment variable the injected pod carries. */
export const SIDECAR_ENV: Record<string, string> = {
  meshConfig: 'WEFT_MESH_CONFIG',
  discoveryAddress: 'WEFT_DISCOVERY_ADDRESS',
  caAddress: 'WEFT_CA_ADDRESS',
  tokenFile: 'WEFT_TOKEN_FILE',
  trustBundleFile: 'WEFT_TRUST_BUNDLE_FILE',
  trustDomain: 'WEFT_TRUST_DOMAIN',
  clusterDomain: 'WEFT_CLUSTER_DOMAIN',
  podName: 'WEFT_POD_NAME',
  podNamespace: 'WEFT_POD_NAMESPACE',
  podIp: 'WEFT_POD_IP',
  workload: 'WEFT_WORKLOAD',
  logLevel: 'WEFT_LOG_LEVEL',
  accessLog: 'WEFT_ACCESS_LOG',
};

const listen = (port: number, host = '0.0.0.0'): z.ZodType<{ host: string; port: number }> =>
  hostPort.default({ host, port });

export const SidecarConfigSchema = z
  .strictObject({
    meshConfig: z.string().min(1).optional(),
    /** Discovery replicas, HOST:PORT[,HOST:PORT…]; the mesh file is for development. */
    discoveryAddress: hostPortList.transform((s) => s.split(',')).optional(),
    /** How long a request waits for endpoints subscribed on its first use (then 503). */
    discoveryWaitMs: positiveInt(60_000).default(5_000),
    /** Endpoints unused this long are unsubscribed (5 min, as a connection pool's idle). */
    discoveryIdleSeconds: positiveInt(86_400).default(300),
    caAddress: z.string().min(1),
    tokenFile: z.string().min(1),
    trustBundleFile: z.string().min(1),
    trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
    /** The cluster's DNS domain, for the per-service names a view compiles to. */
    clusterDomain: dnsDomain.default(DEFAULT_CLUSTER_DOMAIN),
    podName: z.string().min(1).default('unknown'),
    podNamespace: z.string().min(1).default('default'),
    podIp: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
    workload: z.string().min(1).optional(),
    // Admin is loopback only (Istio's 15000); health/metrics face the kubelet and Prometheus.
    adminListen: listen(Ports.Admin, '127.0.0.1'),
    healthListen: listen(Ports.Health),
    outboundListen: listen(Ports.Outbound),
    inboundListen: listen(Ports.Inbound),
    certTtlSeconds: positiveInt(48 * 3600).optional(),
    drainSeconds: z.coerce.number().min(0).max(600).default(5),
    reloadSeconds: positiveInt(3600).default(2),
    accessLog: boolFlag.default(false),
    maxConnections: positiveInt(1_000_000).default(16_384),
    maxHeaderBytes: positiveInt(1024 * 1024).default(16 * 1024),
    idleTimeoutSeconds: positiveInt(86_400).default(300),
    // Envoy's listener filter timeout is of this order: a client whose first bytes
    // decide what it is (TLS or not, HTTP or not) must send them within it.
    firstByteTimeoutSeconds: positiveInt(600).default(10),
    // A request head must be whole within this (slowloris): Node's default is 60 s,
    // and heads inside a cluster are small and quick.
    headerTimeoutSeconds: positiveInt(600).default(20),
    // Envoy's TCP proxy idle_timeout default: one hour.
    tcpIdleTimeoutSeconds: positiveInt(86_400).default(3600),
    logLevel: logLevel.default('info'),
  })
  // Two sources of the mesh would race each other's views; which one wins would be an
  // accident of timing. A pod gets discovery from the injector; the file is for development.
  .refine((c) => !(c.meshConfig && c.discoveryAddress), {
    message: '--mesh-config and --discovery-address are mutually exclusive: choose one source',
  });
export type SidecarConfig = z.infer<typeof SidecarConfigSchema>;

/** Flags win; unset flags come from the environment. */
export function withEnvironment(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const merged = { ...flags };
  for (const [key, name] of Object.entries(SIDECAR_ENV)) {
    if (merged[key] === undefined && env[name]) merged[key] = env[name];
  }
  return merged;
}
