// `weft ca` configuration: flags validated by a schema once, at start-up.
import { z } from 'zod';
import { boolFlag, hostPort, logLevel, positiveInt, trustDomain } from '../src/config/fields.js';
import type { FlagSpec } from '../src/config/parse.js';
import {
  CA_PORT,
  CA_SECRET_NAME,
  CA_SERVICE,
  DEFAULT_TRUST_DOMAIN,
  TOKEN_AUDIENCE,
  WEFT_NAMESPACE,
} from '../src/names.js';

/** The Secret holding the root's private key in offline-root mode (admin-only RBAC). */
export const CA_ROOT_KEY_SECRET_NAME = 'weft-ca-root';

export const caFlags: FlagSpec = {
  listen: {},
  kubeconfig: {},
  'trust-domain': {},
  audience: {},
  namespace: {},
  'secret-name': {},
  'default-lifetime-seconds': {},
  'max-lifetime-seconds': {},
  'token-cache-seconds': {},
  'serving-dns-name': { multiple: true },
  'serving-ip': { multiple: true },
  'log-level': {},
  'reload-seconds': {},
  'bundle-resync-seconds': {},
  'rate-limit-burst': {},
  'rate-limit-per-second': {},
  'min-issuer-remaining-seconds': {},
  'shutdown-seconds': {},
  'online-root': { boolean: true },
  'root-key-secret-name': {},
};

export const CaConfigSchema = z
  .strictObject({
    listen: hostPort.default({ host: '0.0.0.0', port: CA_PORT }),
    kubeconfig: z.string().optional(),
    trustDomain: trustDomain.default(DEFAULT_TRUST_DOMAIN),
    audience: z.string().min(1).default(TOKEN_AUDIENCE),
    namespace: z.string().min(1).default(WEFT_NAMESPACE),
    secretName: z.string().min(1).default(CA_SECRET_NAME),
    defaultLifetimeSeconds: positiveInt(365 * 86400).default(86400),
    maxLifetimeSeconds: positiveInt(365 * 86400).default(2 * 86400),
    tokenCacheSeconds: z.coerce.number().int().min(0).max(3600).default(10),
    servingDnsName: z
      .array(z.string().min(1))
      .default([
        `${CA_SERVICE}.${WEFT_NAMESPACE}.svc`,
        `${CA_SERVICE}.${WEFT_NAMESPACE}.svc.cluster.local`,
      ]),
    servingIp: z.array(z.ipv4().or(z.ipv6())).default([]),
    logLevel: logLevel.default('info'),
    reloadSeconds: positiveInt(3600).default(10),
    /** How often every trust bundle is compared and repaired if edited or deleted. */
    bundleResyncSeconds: positiveInt(86400).default(300),
    /** Certificates one identity may get at once, then `rateLimitPerSecond`. */
    rateLimitBurst: positiveInt(1_000_000).default(100),
    rateLimitPerSecond: z.coerce.number().positive().max(1_000_000).default(10),
    /** The CA refuses (503) to issue from an issuer with less than this left. */
    minIssuerRemainingSeconds: positiveInt(365 * 86400).default(3600),
    /** Everything stops within this after SIGTERM (the pod's grace period is 30 s). */
    shutdownSeconds: positiveInt(300).default(5),
    /** Keep the root key in the CA Secret and renew the intermediate automatically. */
    onlineRoot: boolFlag.default(false),
    /** Where a first start writes the root key in offline-root mode (the CA cannot read it back). */
    rootKeySecretName: z.string().min(1).default(CA_ROOT_KEY_SECRET_NAME),
  })
  .refine((c) => c.defaultLifetimeSeconds <= c.maxLifetimeSeconds, {
    message: 'must not exceed --max-lifetime-seconds',
    path: ['defaultLifetimeSeconds'],
  });

export type CaConfig = z.infer<typeof CaConfigSchema>;
