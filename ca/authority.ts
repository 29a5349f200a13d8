// The signing authority: issuer certificate and key, the chain above it, and the
// roots clients trust. Issuing is deterministic given the injected clock and
// serial source; the identity comes from the caller (a verified token), never
// from the request.
import { ErrorCode, WeftError } from '../src/errors.js';
import type { WorkloadIdentity } from '../src/identity.js';
import type { KeyType, LeafIssuer, SerialSource, x509 } from '../src/pki/index.js';
import {
  ExtendedKeyUsage,
  buildLeafDer,
  canonicalSerial,
  prepareIssuer,
  randomSerial,
  x509 as X509,
} from '../src/pki/index.js';

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
  /**
   * Refuse to issue from an issuer with less than this left (default 0: only an
   * expired issuer is refused). A certificate capped to a nearly expired issuer is
   * renewed at once, over and over, by every workload.
   */
  readonly minIssuerRemainingSeconds?: number;
}

export interface IssueRequest {
  readonly identity: WorkloadIdentity;
  /** The requester's SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  readonly requestedLifetimeSeconds?: number | undefined;
  /** Extra SANs for non-workload uses (the CA's own serving certificate). */
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export interface Issued {
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly leafPem: string;
  /** Leaf, issuer, then each certificate above it up to and including the root. */
  readonly chainPem: readonly string[];
  /** Leaf and intermediates: what a TLS peer presents (the root travels in bundles). */
  readonly presentedPem: readonly string[];
}

/** The root the issuer chains to: the top of the chain, or the issuer itself when it is a root. */
export function rootOf(authority: Authority): x509.X509Certificate {
  return authority.chain[authority.chain.length - 1] ?? authority.issuer;
}

/** Refuses (503) to issue from an issuer that is not yet valid, expired, or about to expire. */
export function checkIssuerUsable(authority: Authority, policy: IssuePolicy, now: Date): void {
  const { notBefore, notAfter } = authority.issuer;
  const left = Math.floor((notAfter.getTime() - now.getTime()) / 1000);
  const min = policy.minIssuerRemainingSeconds ?? 0;
  let problem: string | undefined;
  if (now < notBefore) problem = `is not valid until ${notBefore.toISOString()}`;
  else if (left <= 0) problem = `expired at ${notAfter.toISOString()}`;
  else if (left < min) problem = `expires at ${notAfter.toISOString()}, within ${min} s`;
  if (problem) {
    throw new WeftError(
      ErrorCode.IssuerUnusable,
      `the CA's issuer ${problem}; the CA is not issuing until its intermediate is renewed (weft ca renew-issuer)`,
      { retryAfterSeconds: 60 },
    );
  }
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

interface Prepared {
  readonly issuer: LeafIssuer;
  readonly abovePem: readonly string[];
  readonly rootPems: ReadonlySet<string>;
}

// Per-authority work done once: key import, issuer name and key id, chain PEMs.
const prepared = new WeakMap<Authority, Promise<Prepared>>();

function prepare(authority: Authority): Promise<Prepared> {
  let p = prepared.get(authority);
  if (!p) {
    p = (async (): Promise<Prepared> => ({
      issuer: await prepareIssuer(authority.issuer, authority.issuerKey, authority.issuerKeyType),
      abovePem: [
        authority.issuer,
        ...authority.chain.filter((c) => !c.equal(authority.issuer)),
      ].map((c) => c.toString('pem') + '\n'),
      rootPems: new Set(authority.roots.map((r) => r.toString('pem') + '\n')),
    }))();
    prepared.set(authority, p);
  }
  return p;
}

export async function issueWorkloadCertificate(
  authority: Authority,
  request: IssueRequest,
  policy: IssuePolicy,
  deps: { clock?: Clock; serial?: SerialSource } = {},
): Promise<Issued> {
  const now = (deps.clock ?? systemClock).now();
  checkIssuerUsable(authority, policy, now);
  const { issuer, abovePem, rootPems } = await prepare(authority);
  const lifetime = grantedLifetime(
    request.requestedLifetimeSeconds,
    policy,
    now,
    authority.issuer.notAfter,
  );
  // Whole seconds: certificates carry no fractions, and callers compare these dates.
  const second = Math.floor(now.getTime() / 1000) * 1000;
  const notBefore = new Date(second - policy.backdateSeconds * 1000);
  const notAfter = new Date(second + lifetime * 1000);
  // Canonical first, so the reported serial is exactly the DER INTEGER's content.
  const serialNumber = canonicalSerial((deps.serial ?? randomSerial)());
  const der = buildLeafDer(
    {
      serialNumber,
      notBefore,
      notAfter,
      spki: request.spki,
      sans: {
        uris: [request.identity.uri],
        dnsNames: request.dnsNames ?? [],
        ips: request.ips ?? [],
      },
      extendedKeyUsages: [ExtendedKeyUsage.ServerAuth, ExtendedKeyUsage.ClientAuth],
    },
    issuer,
  );
  const leafPem = X509.PemConverter.encode(new Uint8Array(der), 'CERTIFICATE') + '\n';
  const chainPem = [leafPem, ...abovePem];
  return {
    serialNumber,
    notBefore,
    notAfter,
    leafPem,
    chainPem,
    presentedPem: chainPem.filter((p) => !rootPems.has(p)),
  };
}

/** The intermediates a leaf presents after itself, as one PEM string (for records). */
export function issuerChainPem(issued: Issued): string {
  return issued.presentedPem.slice(1).join('');
}
