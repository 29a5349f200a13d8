// What the webhook injects, validated once at start-up. Per-pod annotations
// override some of it (annotations.ts).
import { z } from 'zod';
import { CAPTURE_OVERRIDES, DEFAULT_CAPTURE_OVERRIDES } from '../src/capture/capture-policy.js';
import { trustDomain } from '../src/config/fields.js';
import {
  CA_PORT,
  CA_SERVICE,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_TRUST_DOMAIN,
  WEFT_NAMESPACE,
} from '../src/names.js';
import { VERSION } from '../src/version.js';
import { LOG_LEVELS } from './annotations.js';

export const DEFAULT_IMAGE = `ghcr.io/weft-mesh/weft:${VERSION}`;

export const InjectionConfigSchema = z.strictObject({
  image: z.string().min(1).default(DEFAULT_IMAGE),
  caAddress: z.string().min(1).default(`${CA_SERVICE}.${WEFT_NAMESPACE}.svc:${CA_PORT}`),
  /** Discovery's HOST:PORT[,…] for sidecars; default: the CA's host on the discovery port. */
  discoveryAddress: z.string().min(1).optional(),
  trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
  /** The cluster's DNS domain (kubelet's --cluster-domain), handed to each sidecar. */
  clusterDomain: z.string().min(1).max(253).default(DEFAULT_CLUSTER_DOMAIN),
  /** Resolved from the API server's version when the setting is `auto`. */
  nativeSidecars: z.boolean().default(true),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  tokenExpirationSeconds: z.number().int().min(600).max(86400).default(3600),
  proxyResources: z
    .strictObject({
      cpuRequest: z.string().default('100m'),
      memoryRequest: z.string().default('64Mi'),
      cpuLimit: z.string().optional(),
      memoryLimit: z.string().default('256Mi'),
    })
    .default({ cpuRequest: '100m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
  excludeOutboundCidrs: z.array(z.string()).default([]),
  /** Which capture annotations pod authors may use where a namespace does not say. */
  captureOverrides: z.enum(CAPTURE_OVERRIDES).default(DEFAULT_CAPTURE_OVERRIDES),
  /**
   * Images weft.dev/proxy-image may name: exact references, or prefixes ending in
   * `*`. Empty (the default): the annotation is refused. weft-init's image never
   * comes from a pod: it always is `image`.
   */
  allowedProxyImages: z.array(z.string().min(1)).default([]),
});

export type InjectionConfig = z.infer<typeof InjectionConfigSchema>;

/** Native sidecars (restartPolicy: Always init containers) are on by default from 1.29. */
export function supportsNativeSidecars(major: string, minor: string): boolean {
  const maj = Number(major);
  const min = Number(minor.replace(/\D.*$/, ''));
  return maj > 1 || (maj === 1 && min >= 29);
}
