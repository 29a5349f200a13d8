// A serving certificate for `weft webhook` run on its own (development, a single
// replica): a throwaway in-memory CA that exists only in this process. The
// default install (`weft control-plane`) serves a certificate from weft's CA instead.
import { createEphemeralCa } from '../src/pki/index.js';
import type { ServingTls } from './main.js';

const YEAR = 365 * 86_400_000;

export async function localServingTls(dnsNames: string[], ips: string[]): Promise<ServingTls> {
  const ca = await createEphemeralCa('weft webhook local CA', YEAR);
  const { cert, key } = await ca.serving({ dnsNames, ips });
  return { cert, key, caPem: ca.certPem };
}
