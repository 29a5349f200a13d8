// The app's original kubelet probes, carried from the injector (which points the
// kubelet at the sidecar's health port) to the sidecar (which runs them as the
// kubelet would) in the WEFT_APP_PROBERS variable, keyed by
// /app-health/<container>/<kind>. The sidecar reads the variable through the schema.
import { z } from 'zod';
import { ErrorCode, WeftError } from './errors.js';

export const PROBERS_ENV = 'WEFT_APP_PROBERS';

const port = z.number().int().min(1).max(65535);

const ProberSchema = z.strictObject({
  httpGet: z
    .strictObject({
      path: z.string().optional(),
      port,
      // The kubelet's values are HTTP and HTTPS; it compares them case-insensitively.
      scheme: z
        .string()
        .regex(/^https?$/i, 'scheme must be HTTP or HTTPS')
        .optional(),
      host: z.string().min(1).optional(),
      httpHeaders: z
        .array(z.strictObject({ name: z.string().min(1), value: z.string() }))
        .optional(),
    })
    .optional(),
  tcpSocket: z.strictObject({ port, host: z.string().min(1).optional() }).optional(),
});

export type Prober = z.infer<typeof ProberSchema>;
export type Probers = Record<string, Prober>;

const ProbersSchema = z.record(z.string().startsWith('/app-health/'), ProberSchema);

/** The WEFT_APP_PROBERS text as probes; a problem names the probe and field. */
export function parseProbers(text: string | undefined): Probers {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new WeftError(ErrorCode.ConfigInvalid, `${PROBERS_ENV} is not JSON`, { cause });
  }
  const result = ProbersSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
  throw new WeftError(ErrorCode.ConfigInvalid, `${PROBERS_ENV}: ${problems.join('; ')}`);
}
