// The containers and volumes weft adds to a pod, as plain Kubernetes objects.
import type { V1Container, V1EnvVar, V1Volume } from '@kubernetes/client-node';
import { PROXY_GID, PROXY_UID, Ports, captureArgs } from '../src/capture/capture-spec.js';
import type { CaptureSpec } from '../src/capture/capture-spec.js';
import {
  DISCOVERY_PORT,
  TOKEN_AUDIENCE,
  TRUST_BUNDLE_CONFIGMAP,
  TRUST_BUNDLE_KEY,
} from '../src/names.js';
import { sidecarNodeOptions } from '../src/sidecar-node-options.js';
import { quantityValue } from './annotations.js';
import type { ProxyLogLevel, ResourceOverrides } from './annotations.js';
import type { InjectionConfig } from './injection-config.js';
import { PROBERS_ENV } from './probes.js';
import type { Probers } from './probes.js';

export const INIT_NAME = 'weft-init';
export const PROXY_NAME = 'weft-proxy';
export const Volume = {
  Token: 'weft-token',
  TrustBundle: 'weft-trust-bundle',
  Runtime: 'weft-runtime',
} as const;
export const Mount = {
  Token: '/var/run/secrets/weft/tokens',
  TrustBundle: '/var/run/secrets/weft/trust',
  Runtime: '/var/run/weft',
} as const;
export const READY_PATH = '/healthz/ready';

export function weftVolumes(config: InjectionConfig): V1Volume[] {
  return [
    {
      name: Volume.Token,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: TOKEN_AUDIENCE,
              expirationSeconds: config.tokenExpirationSeconds,
              path: 'token',
            },
          },
        ],
      },
    },
    { name: Volume.TrustBundle, configMap: { name: TRUST_BUNDLE_CONFIGMAP } },
    { name: Volume.Runtime, emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
  ];
}

export function initContainer(image: string, capture: CaptureSpec): V1Container {
  return {
    name: INIT_NAME,
    image,
    args: ['init-iptables', ...captureArgs(capture)],
    resources: {
      requests: { cpu: '10m', memory: '16Mi' },
      limits: { cpu: '100m', memory: '64Mi' },
    },
    securityContext: {
      // iptables needs root with NET_ADMIN and NET_RAW, and nothing else.
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

const fieldEnv = (name: string, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } },
});

export interface ProxyInputs {
  readonly config: InjectionConfig;
  readonly image: string;
  readonly logLevel: ProxyLogLevel;
  readonly resources: ResourceOverrides;
  readonly probers: Probers;
  readonly native: boolean;
}

function resources(r: ResourceOverrides): V1Container['resources'] {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequest) requests.cpu = r.cpuRequest;
  if (r.memoryRequest) requests.memory = r.memoryRequest;
  if (r.cpuLimit) limits.cpu = r.cpuLimit;
  if (r.memoryLimit) limits.memory = r.memoryLimit;
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/** The CA's HOST:PORT with discovery's port: both run in the control plane. */
export const discoveryAddress = (caAddress: string, port: number = DISCOVERY_PORT): string =>
  `${caAddress.slice(0, caAddress.lastIndexOf(':'))}:${port}`;

export function proxyContainer(p: ProxyInputs): V1Container {
  const readiness = { httpGet: { path: READY_PATH, port: Ports.Health, scheme: 'HTTP' } };
  const env: V1EnvVar[] = [
    fieldEnv('WEFT_POD_NAME', 'metadata.name'),
    fieldEnv('WEFT_POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('WEFT_POD_IP', 'status.podIP'),
    fieldEnv('WEFT_SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('WEFT_NODE_NAME', 'spec.nodeName'),
    { name: 'WEFT_CA_ADDRESS', value: p.config.caAddress },
    // Discovery listens beside the CA, on the same Service (see src/names.ts), unless
    // the control plane was told another address or port (--discovery-listen).
    {
      name: 'WEFT_DISCOVERY_ADDRESS',
      value: p.config.discoveryAddress ?? discoveryAddress(p.config.caAddress),
    },
    { name: 'WEFT_TRUST_DOMAIN', value: p.config.trustDomain },
    { name: 'WEFT_CLUSTER_DOMAIN', value: p.config.clusterDomain },
    { name: 'WEFT_LOG_LEVEL', value: p.logLevel },
    { name: 'WEFT_TOKEN_FILE', value: `${Mount.Token}/token` },
    { name: 'WEFT_TRUST_BUNDLE_FILE', value: `${Mount.TrustBundle}/${TRUST_BUNDLE_KEY}` },
    // V8's heap sized from the container's limit (src/sidecar-node-options.ts).
    {
      name: 'NODE_OPTIONS',
      value: sidecarNodeOptions(
        p.resources.memoryLimit ? quantityValue(p.resources.memoryLimit) : undefined,
      ),
    },
  ];
  if (Object.keys(p.probers).length)
    env.push({ name: PROBERS_ENV, value: JSON.stringify(p.probers) });
  return {
    name: PROXY_NAME,
    image: p.image,
    args: ['sidecar'],
    ...(p.native ? { restartPolicy: 'Always' } : {}),
    ports: [{ name: 'weft-health', containerPort: Ports.Health, protocol: 'TCP' }],
    env,
    resources: resources(p.resources),
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_GID,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    readinessProbe: { ...readiness, periodSeconds: 2, failureThreshold: 30 },
    // Native sidecars: the app starts only once this passes. Classic: the postStart
    // hook below holds the next container back until the proxy is ready.
    ...(p.native
      ? { startupProbe: { ...readiness, periodSeconds: 1, failureThreshold: 600 } }
      : {
          lifecycle: {
            postStart: { exec: { command: ['weft', 'wait-ready', '--timeout-seconds', '120'] } },
          },
        }),
    volumeMounts: [
      { name: Volume.Token, mountPath: Mount.Token, readOnly: true },
      { name: Volume.TrustBundle, mountPath: Mount.TrustBundle, readOnly: true },
      { name: Volume.Runtime, mountPath: Mount.Runtime },
    ],
  };
}
