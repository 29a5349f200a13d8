// `weft ca` configuration: flags validated by a schema once, at start-up.
import { z } from 'zod';
import { hostPort, logLevel, positiveInt, trustDomain } from '../src/config/fields.js';
import type { FlagSpec } from '../src/config/parse.js';

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
};

export const CaConfigSchema = z
  .strictObject({
    listen: hostPort.default({ host: '0.0.0.0', port: 15012 }),
    kubeconfig: z.string().optional(),
    trustDomain: trustDomain.default('cluster.local'),
    audience: z.string().min(1).default('weft-ca'),
    namespace: z.string().min(1).default('weft-system'),
    secretName: z.string().min(1).default('weft-ca'),
    defaultLifetimeSeconds: positiveInt(365 * 86400).default(86400),
    maxLifetimeSeconds: positiveInt(365 * 86400).default(2 * 86400),
    tokenCacheSeconds: z.coerce.number().int().min(0).max(3600).default(10),
    servingDnsName: z
      .array(z.string().min(1))
      .default(['weft-ca.weft-system.svc', 'weft-ca.weft-system.svc.cluster.local']),
    servingIp: z.array(z.ipv4().or(z.ipv6())).default([]),
    logLevel: logLevel.default('info'),
    reloadSeconds: positiveInt(3600).default(10),
  })
  .refine((c) => c.defaultLifetimeSeconds <= c.maxLifetimeSeconds, {
    message: 'must not exceed --max-lifetime-seconds',
    path: ['defaultLifetimeSeconds'],
  });

export type CaConfig = z.infer<typeof CaConfigSchema>;
