// Renewing the intermediate under the same root, well before it expires. Pure apart
// from key generation: given the CA Secret's data and the root key, the new data.
// Leaves from the old intermediate stay valid (they present it, and it chains to
// the same root), and the trust bundles hold roots only, so they do not change:
// old and new intermediates overlap for as long as the old one lives.
import type { x509 } from '../src/pki/index.js';
import { joinPem, privateKeyToPem } from '../src/pki/index.js';
import type { Authority, Clock } from './authority.js';
import { rootOf, systemClock } from './authority.js';
import type { SecretData } from './ca-material.js';
import { SecretKey, generateMaterial } from './ca-material.js';

/** Renew once less than this fraction of the intermediate's life is left (about 4 months of 1 year). */
export const RENEW_WHEN_LEFT = 1 / 3;

export function issuerNeedsRenewal(issuer: x509.X509Certificate, now: Date): boolean {
  const life = issuer.notAfter.getTime() - issuer.notBefore.getTime();
  return issuer.notAfter.getTime() - now.getTime() < life * RENEW_WHEN_LEFT;
}

/** The CA Secret's data with a new intermediate under `authority`'s root; all else kept. */
export async function renewIssuer(
  data: SecretData,
  authority: Authority,
  rootKey: CryptoKey,
  opts: { trustDomain: string; clock?: Clock },
): Promise<{ data: SecretData; issuer: x509.X509Certificate }> {
  const root = rootOf(authority);
  const fresh = await generateMaterial({
    trustDomain: opts.trustDomain,
    clock: opts.clock ?? systemClock,
    root: { certificate: root, key: rootKey },
  });
  const issuer = fresh.authority.issuer;
  return {
    issuer,
    data: {
      ...data,
      [SecretKey.Issuer]: joinPem([issuer]),
      [SecretKey.IssuerKey]: await privateKeyToPem(fresh.authority.issuerKey),
      [SecretKey.Chain]: joinPem([root]),
    },
  };
}
