// `weft webhook` configuration: flags validated by one schema at start-up.
import { z } from 'zod';
import { CAPTURE_OVERRIDES, DEFAULT_CAPTURE_OVERRIDES } from '../src/capture/capture-policy.js';
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
import {
  CA_PORT,
  CA_SERVICE,
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_TRUST_DOMAIN,
  WEFT_NAMESPACE,
} from '../src/names.js';
import { DEFAULT_IMAGE } from './injection-config.js';

export const WEBHOOK_PORT = 15017;
export const WEBHOOK_SERVICE = 'weft-webhook';

export const webhookFlags: FlagSpec = {
  listen: {},
  kubeconfig: {},
  register: { boolean: true },
  'failure-policy': {},
  'native-sidecars': {},
  image: {},
  'ca-address': {},
  'discovery-address': {},
  'trust-domain': {},
  'cluster-domain': {},
  'proxy-log-level': {},
  'token-expiration-seconds': {},
  'exclude-outbound-cidr': { multiple: true },
  'capture-overrides': {},
  'allow-proxy-image': { multiple: true },
  'log-level': {},
};

export const WebhookConfigSchema = z.strictObject({
  listen: hostPort.default({ host: '0.0.0.0', port: WEBHOOK_PORT }),
  kubeconfig: z.string().optional(),
  /** Register (and on shutdown remove) a configuration pointing at this process. */
  register: boolFlag.default(false),
  failurePolicy: z.enum(['Fail', 'Ignore']).default('Fail'),
  nativeSidecars: z.enum(['auto', 'on', 'off']).default('auto'),
  image: z.string().min(1).default(DEFAULT_IMAGE),
  caAddress: z.string().min(1).default(`${CA_SERVICE}.${WEFT_NAMESPACE}.svc:${CA_PORT}`),
  /** What injected sidecars dial for discovery (default: the CA's host, port 15010). */
  discoveryAddress: hostPortList.optional(),
  trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
  clusterDomain: dnsDomain.default(DEFAULT_CLUSTER_DOMAIN),
  proxyLogLevel: logLevel.default('info'),
  tokenExpirationSeconds: positiveInt(86400).default(3600),
  excludeOutboundCidr: z.array(z.string()).default([]),
  captureOverrides: z.enum(CAPTURE_OVERRIDES).default(DEFAULT_CAPTURE_OVERRIDES),
  allowProxyImage: z.array(z.string().min(1)).default([]),
  logLevel: logLevel.default('info'),
});

export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;
export const WEBHOOK_DNS_NAMES = [
  `${WEBHOOK_SERVICE}.${WEFT_NAMESPACE}.svc`,
  `${WEBHOOK_SERVICE}.${WEFT_NAMESPACE}.svc.cluster.local`,
];
