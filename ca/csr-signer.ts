// The Kubernetes CSR signer for `weft.dev/workload`. A ServiceAccount asking for
// its own SPIFFE ID is approved and signed; asking for another is denied; anyone
// else waits for a human, and is signed once approved if it asks only for a SPIFFE
// ID in our trust domain. The decision is pure (decideCsr); this file's class does I/O.
import type {
  CertificatesV1Api,
  KubeConfig,
  V1CertificateSigningRequest,
  V1CertificateSigningRequestCondition,
} from '@kubernetes/client-node';
import { identityFromUsername } from '../src/identity.js';
import type { WorkloadIdentity } from '../src/identity.js';
import { apiMessage, isConflict } from '../src/k8s/client.js';
import { limitLogger } from '../src/log-limit.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { watchObjects } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';
import { parseCsr } from '../src/pki/index.js';
import type { ParsedCsr } from '../src/pki/index.js';
import type { Authority, IssuePolicy } from './authority.js';
import { issueWorkloadCertificate, issuerChainPem } from './authority.js';
import type { IssuanceRecorder } from './issuance-records.js';
import type { CaMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import { checkApprovedRequest, checkRequestForIdentity } from './san-policy.js';

import { CSR_SIGNER_NAME as SIGNER_NAME } from '../src/names.js';
const ALLOWED_USAGES = new Set([
  'digital signature',
  'key encipherment',
  'client auth',
  'server auth',
]);

export type CsrAction =
  | { kind: 'skip'; why: string }
  | { kind: 'approve'; message: string }
  | { kind: 'deny'; reason: string; message: string }
  | { kind: 'fail'; reason: string; message: string }
  | { kind: 'sign'; identity: WorkloadIdentity; lifetimeSeconds: number | undefined };

const has = (csr: V1CertificateSigningRequest, type: string): boolean =>
  (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** The usages weft will not sign, and the message saying so; undefined when all are allowed. */
function usageProblem(csr: V1CertificateSigningRequest): string | undefined {
  const badUsage = (csr.spec.usages ?? []).filter((u) => !ALLOWED_USAGES.has(u));
  if (!badUsage.length) return undefined;
  return `usages ${badUsage.join(', ')} are not allowed; allowed: ${[...ALLOWED_USAGES].join(', ')}`;
}

/**
 * A ServiceAccount's own request is checked in full (usages and names) before it is
 * approved, so weft never approves what it will then refuse to sign.
 */
function decideUnapproved(
  csr: V1CertificateSigningRequest,
  parsed: ParsedCsr,
  trustDomain: string,
): CsrAction {
  const username = csr.spec.username ?? '';
  const own = identityFromUsername(username, trustDomain);
  if (!own) return { kind: 'skip', why: 'requester is not a ServiceAccount; awaiting a human' };
  const usage = usageProblem(csr);
  if (usage)
    return { kind: 'deny', reason: 'WeftUsageNotAllowed', message: `${username}: ${usage}` };
  const decision = checkRequestForIdentity(parsed.names, own);
  if (decision.allowed && parsed.names.uris.length === 1) {
    return { kind: 'approve', message: `${username} requested its own identity ${own.uri}` };
  }
  const reason = decision.allowed ? 'request names no SPIFFE ID' : decision.reason;
  return { kind: 'deny', reason: 'WeftIdentityMismatch', message: `${username}: ${reason}` };
}

function decideApproved(
  csr: V1CertificateSigningRequest,
  parsed: ParsedCsr,
  trustDomain: string,
): CsrAction {
  const usage = usageProblem(csr);
  if (usage) return { kind: 'fail', reason: 'WeftUsageNotAllowed', message: usage };
  const checked = checkApprovedRequest(parsed.names, trustDomain);
  if (!checked.allowed)
    return { kind: 'fail', reason: 'WeftNamesNotAllowed', message: checked.reason };
  const own = identityFromUsername(csr.spec.username ?? '', trustDomain);
  if (own && own.uri !== checked.identity.uri) {
    return {
      kind: 'fail',
      reason: 'WeftIdentityMismatch',
      message: `${csr.spec.username} may hold only ${own.uri}, not ${checked.identity.uri}`,
    };
  }
  return { kind: 'sign', identity: checked.identity, lifetimeSeconds: csr.spec.expirationSeconds };
}

/** What to do with a CSR, given its parsed request (or the parse error). */
export function decideCsr(
  csr: V1CertificateSigningRequest,
  parsed: ParsedCsr | Error,
  trustDomain: string,
): CsrAction {
  if (csr.spec.signerName !== SIGNER_NAME) return { kind: 'skip', why: 'another signer' };
  if (csr.status?.certificate) return { kind: 'skip', why: 'already issued' };
  if (has(csr, 'Denied') || has(csr, 'Failed')) return { kind: 'skip', why: 'denied or failed' };
  const approved = has(csr, 'Approved');
  if (parsed instanceof Error) {
    const message = `request is not a valid CSR: ${parsed.message}`;
    return approved
      ? { kind: 'fail', reason: 'WeftInvalidRequest', message }
      : { kind: 'deny', reason: 'WeftInvalidRequest', message };
  }
  return approved
    ? decideApproved(csr, parsed, trustDomain)
    : decideUnapproved(csr, parsed, trustDomain);
}

export interface CsrSignerDeps {
  readonly kc: KubeConfig;
  readonly api: CertificatesV1Api;
  readonly authority: () => Authority;
  readonly policy: IssuePolicy;
  readonly trustDomain: string;
  readonly recorder?: IssuanceRecorder;
  readonly metrics: CaMetrics;
  readonly log: Logger;
  /**
   * Signatures per requester (the CSR's spec.username): anyone allowed to create
   * CSRs could otherwise make the CA sign in a loop. Past it a CSR stays as it is
   * (approved, not yet issued) and is retried once the requester has tokens again,
   * as Kubernetes' own signing controller requeues a CSR it cannot sign yet: a
   * Failed condition would be final, for a legitimate client too.
   */
  readonly limiter?: RateLimiter;
}

/** Timers waiting to retry a rate-limited CSR; past this, the 60 s resync retries the rest. */
const MAX_SCHEDULED_RETRIES = 1000;

function condition(
  type: string,
  reason: string,
  message: string,
): V1CertificateSigningRequestCondition {
  return { type, status: 'True', reason, message, lastUpdateTime: new Date() };
}

export class CsrSigner {
  private watch: Watch | undefined;
  private readonly inFlight = new Set<string>();
  private readonly pending = new Map<string, V1CertificateSigningRequest>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** A requester controls how often these lines would be written. */
  private readonly peerLog: LimitedLogger;

  constructor(private readonly deps: CsrSignerDeps) {
    this.peerLog = limitLogger(deps.log);
  }

  async start(): Promise<void> {
    this.watch = await watchObjects<V1CertificateSigningRequest>({
      kc: this.deps.kc,
      path: '/apis/certificates.k8s.io/v1/certificatesigningrequests',
      list: () => this.deps.api.listCertificateSigningRequest(),
      onObject: (csr) => void this.handle(csr),
      // Pending decisions and signatures whose write failed are retried.
      resyncMs: 60_000,
      log: this.deps.log,
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await this.watch?.stop();
  }

  /**
   * Handles one CSR at a time per name. An event that arrives while its CSR is being
   * handled (our own approval coming back, say) is kept and handled right after,
   * so no state change is lost.
   */
  async handle(csr: V1CertificateSigningRequest): Promise<void> {
    const name = csr.metadata?.name;
    if (!name || csr.spec.signerName !== SIGNER_NAME) return;
    if (this.inFlight.has(name)) {
      this.pending.set(name, csr);
      return;
    }
    this.inFlight.add(name);
    try {
      let next: V1CertificateSigningRequest | undefined = csr;
      while (next) {
        await this.process(next);
        next = this.pending.get(name);
        this.pending.delete(name);
      }
    } finally {
      this.inFlight.delete(name);
    }
  }

  private async process(csr: V1CertificateSigningRequest): Promise<void> {
    try {
      const pem = Buffer.from(csr.spec.request, 'base64').toString('utf8');
      let parsed: ParsedCsr | Error;
      try {
        parsed = parseCsr(pem);
      } catch (err) {
        parsed = err as Error;
      }
      await this.act(csr, decideCsr(csr, parsed, this.deps.trustDomain), parsed);
    } catch (err) {
      // A conflict means a newer version is on its way through the watch.
      if (!isConflict(err)) {
        this.deps.log.warn('CSR handling failed', {
          csr: csr.metadata?.name,
          reason: apiMessage(err),
        });
      }
    }
  }

  private async act(
    csr: V1CertificateSigningRequest,
    action: CsrAction,
    parsed: ParsedCsr | Error,
  ): Promise<void> {
    const log = this.deps.log.child({ csr: csr.metadata!.name, requester: csr.spec.username });
    if (action.kind === 'approve') {
      await this.addCondition(csr, condition('Approved', 'WeftAutoApproved', action.message));
      log.info('approved CSR', { message: action.message });
    } else if (action.kind === 'deny' || action.kind === 'fail') {
      const type = action.kind === 'deny' ? 'Denied' : 'Failed';
      await this.addCondition(csr, condition(type, action.reason, action.message));
      this.deps.metrics.refused.inc({ path: 'csr', code: action.reason });
      log.warn(`${type.toLowerCase()} CSR`, { reason: action.reason, message: action.message });
    } else if (action.kind === 'sign') {
      const wait = this.deps.limiter?.take(`csr|${csr.spec.username ?? ''}`);
      if (wait !== undefined) return this.retryLater(csr, wait);
      await this.sign(csr, action, parsed as ParsedCsr);
      log.info('signed CSR', { spiffeId: action.identity.uri });
    }
  }

  /** Leaves a rate-limited CSR unsigned and handles it again once its requester may be served. */
  private retryLater(csr: V1CertificateSigningRequest, waitSeconds: number): void {
    const name = csr.metadata!.name!;
    this.deps.metrics.refused.inc({ path: 'csr', code: 'rate_limited' });
    this.peerLog.warn(
      'CSR rate-limited: left unsigned, retried later',
      { csr: name, requester: csr.spec.username, retryInSeconds: waitSeconds },
      'csr|rate_limited',
    );
    if (this.retries.has(name) || this.retries.size >= MAX_SCHEDULED_RETRIES) return;
    const timer = setTimeout(() => {
      this.retries.delete(name);
      void this.deps.api.readCertificateSigningRequest({ name }).then(
        (fresh) => this.handle(fresh),
        () => undefined, // deleted meanwhile, or the API server is away: the resync retries
      );
    }, waitSeconds * 1000);
    timer.unref();
    this.retries.set(name, timer);
  }

  /** Approved and Denied go through /approval; Failed through /status (API server rules). */
  private async addCondition(
    csr: V1CertificateSigningRequest,
    c: V1CertificateSigningRequestCondition,
  ): Promise<void> {
    const name = csr.metadata!.name!;
    const body = {
      ...csr,
      status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), c] },
    };
    if (c.type === 'Failed')
      await this.deps.api.replaceCertificateSigningRequestStatus({ name, body });
    else await this.deps.api.replaceCertificateSigningRequestApproval({ name, body });
  }

  private async sign(
    csr: V1CertificateSigningRequest,
    action: { identity: WorkloadIdentity; lifetimeSeconds: number | undefined },
    parsed: ParsedCsr,
  ): Promise<void> {
    const issued = await issueWorkloadCertificate(
      this.deps.authority(),
      {
        identity: action.identity,
        spki: parsed.spki,
        requestedLifetimeSeconds: action.lifetimeSeconds,
      },
      this.deps.policy,
    );
    // Leaf and intermediates; the root travels in the trust bundle.
    csr.status = {
      ...csr.status,
      certificate: Buffer.from(issued.presentedPem.join('')).toString('base64'),
    };
    await this.deps.api.replaceCertificateSigningRequestStatus({
      name: csr.metadata!.name!,
      body: csr,
    });
    this.deps.metrics.issued.inc({ path: 'csr' });
    this.deps.recorder?.record(
      action.identity,
      {
        serial: issued.serialNumber,
        notBefore: issued.notBefore.toISOString(),
        notAfter: issued.notAfter.toISOString(),
        path: 'csr-api',
        certificate: issued.leafPem,
        csr: csr.metadata!.name!,
      },
      issuerChainPem(issued),
    );
  }
}
