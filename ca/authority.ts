// The signing authority: issuer certificate and key, the chain above it, and the
// roots clients trust. Issuing is deterministic given the injected clock and
// serial source; the identity comes from the caller (a verified token), never
// from the request.
import type { WorkloadIdentity } from '../src/identity.js';
import type { KeyType, SerialSource, x509 } from '../src/pki/index.js';
import { ExtendedKeyUsage, buildCertificate, randomSerial } from '../src/pki/index.js';

export interface Authority {
  /** The intermediate (or root) that signs workload certificates. */
  readonly issuer: x509.X509Certificate;
  readonly issuerKey: CryptoKey;
  readonly issuerKeyType: KeyType;
  /** The certificates above the issuer, ending with its root (empty if the issuer is a root). */
  readonly chain: readonly x509.X509Certificate[];
  /** Every root in the trust bundle (more than one while a root rotates). */
  readonly roots: readonly x509.X509Certificate[];
}

export interface IssuePolicy {
  readonly defaultLifetimeSeconds: number;
  readonly maxLifetimeSeconds: number;
  /** notBefore is backdated this much to absorb clock skew between nodes. */
  readonly backdateSeconds: number;
}

export interface IssueRequest {
  readonly identity: WorkloadIdentity;
  readonly publicKey: CryptoKey;
  readonly requestedLifetimeSeconds?: number | undefined;
  /** Extra SANs for non-workload uses (the webhook's serving certificate). */
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export interface Issued {
  readonly certificate: x509.X509Certificate;
  /** Leaf, then the issuer chain up to and including the root. */
  readonly chain: readonly x509.X509Certificate[];
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** The lifetime granted: the request if given, capped by policy and by the issuer's own expiry. */
export function grantedLifetime(
  requested: number | undefined,
  policy: IssuePolicy,
  now: Date,
  issuerNotAfter: Date,
): number {
  const wanted = requested && requested > 0 ? requested : policy.defaultLifetimeSeconds;
  const issuerLeft = Math.floor((issuerNotAfter.getTime() - now.getTime()) / 1000);
  return Math.max(0, Math.min(wanted, policy.maxLifetimeSeconds, issuerLeft));
}

export async function issueWorkloadCertificate(
  authority: Authority,
  request: IssueRequest,
  policy: IssuePolicy,
  deps: { clock?: Clock; serial?: SerialSource } = {},
): Promise<Issued> {
  const now = (deps.clock ?? systemClock).now();
  const lifetime = grantedLifetime(
    request.requestedLifetimeSeconds,
    policy,
    now,
    authority.issuer.notAfter,
  );
  const certificate = await buildCertificate(
    {
      subject: '',
      serialNumber: (deps.serial ?? randomSerial)(),
      notBefore: new Date(now.getTime() - policy.backdateSeconds * 1000),
      notAfter: new Date(now.getTime() + lifetime * 1000),
      publicKey: request.publicKey,
      sans: {
        uris: [request.identity.uri],
        dnsNames: request.dnsNames ?? [],
        ips: request.ips ?? [],
      },
      extendedKeyUsages: [ExtendedKeyUsage.ServerAuth, ExtendedKeyUsage.ClientAuth],
    },
    {
      certificate: authority.issuer,
      privateKey: authority.issuerKey,
      keyType: authority.issuerKeyType,
    },
  );
  const above = authority.chain.filter((c) => !c.equal(authority.issuer));
  return { certificate, chain: [certificate, authority.issuer, ...above] };
}
