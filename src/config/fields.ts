// Reusable schema fields for flags: strings from the command line become typed,
// finite, bounded values.
import { z } from 'zod';

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((v) => v.port >= 0 && v.port <= 65535, 'port must be 0-65535');

/** A positive whole number given as a string flag (or a number from a file). */
export const positiveInt = (max = Number.MAX_SAFE_INTEGER): z.ZodType<number> =>
  z.coerce.number().int('must be a whole number').positive('must be positive').max(max);

export const boolFlag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true');

export const logLevel = z.enum(['debug', 'info', 'warn', 'error']);

export const trustDomain = z.string().regex(/^[a-z0-9._-]{1,255}$/, 'invalid trust domain');

/** A DNS domain such as the cluster's (kubelet's --cluster-domain). */
export const dnsDomain = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'invalid DNS domain');

/** HOST:PORT[,HOST:PORT…], kept as the string given. */
export const hostPortList = z
  .string()
  .regex(/^[^\s,]+:\d{1,5}(,[^\s,]+:\d{1,5})*$/, 'expected HOST:PORT[,HOST:PORT…]');
