// The CA's request logic, free of HTTP: token → identity, CSR → checked key and
// names, identity-only certificate, record. Every refusal is a typed error.
import type { CertificateResponse } from '../src/ca-api.js';
import { ErrorCode, WeftError, asWeftError } from '../src/errors.js';
import type { WorkloadIdentity } from '../src/identity.js';
import type { Logger } from '../src/log.js';
import { joinPem, parseCsr } from '../src/pki/index.js';
import type { Authority, Clock, IssuePolicy, Issued } from './authority.js';
import { issueWorkloadCertificate, issuerChainPem } from './authority.js';
import type { IssuanceRecorder } from './issuance-records.js';
import type { CaMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import { checkRequestForIdentity } from './san-policy.js';
import type { TokenReviewer } from './token-review.js';

export interface IssuingDeps {
  readonly authority: () => Authority;
  readonly policy: IssuePolicy;
  readonly reviewer: TokenReviewer;
  readonly recorder?: IssuanceRecorder;
  /** Per-identity issuance limit (429 with Retry-After past it). */
  readonly limiter?: RateLimiter;
  readonly metrics: CaMetrics;
  readonly log: Logger;
  readonly clock?: Clock;
}

function checkRate(deps: IssuingDeps, identity: WorkloadIdentity): void {
  const wait = deps.limiter?.take(identity.uri);
  if (wait === undefined) return;
  throw new WeftError(
    ErrorCode.RateLimited,
    `${identity.uri} has asked for too many certificates; retry in ${wait} s`,
    { retryAfterSeconds: wait },
  );
}

export function toResponse(
  identity: WorkloadIdentity,
  issued: Issued,
  roots: string,
): CertificateResponse {
  return {
    spiffeId: identity.uri,
    serial: issued.serialNumber,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
    certChain: [...issued.chainPem],
    trustBundle: roots,
  };
}

function readBody(body: unknown): { csr: string; ttlSeconds?: number } {
  const b = body as { csr?: unknown; ttlSeconds?: unknown } | undefined;
  if (!b || typeof b !== 'object' || typeof b.csr !== 'string') {
    throw new WeftError(
      ErrorCode.BadRequest,
      'body must be JSON {"csr": "<PEM>", "ttlSeconds"?: n}',
    );
  }
  const ttl = b.ttlSeconds;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0)) {
    throw new WeftError(ErrorCode.BadRequest, 'ttlSeconds must be a positive whole number');
  }
  return { csr: b.csr, ...(ttl !== undefined ? { ttlSeconds: ttl } : {}) };
}

export async function handleCertificateRequest(
  deps: IssuingDeps,
  caller: { readonly token: string; readonly peer: string },
  body: unknown,
): Promise<CertificateResponse> {
  const started = process.hrtime.bigint();
  try {
    const request = readBody(body);
    const reviewed = await deps.reviewer.review(caller.token, caller.peer);
    checkRate(deps, reviewed.identity);
    const csr = parseCsr(request.csr);
    const decision = checkRequestForIdentity(csr.names, reviewed.identity);
    if (!decision.allowed) throw new WeftError(ErrorCode.IdentityMismatch, decision.reason);
    const authority = deps.authority();
    const issued = await issueWorkloadCertificate(
      authority,
      {
        identity: reviewed.identity,
        spki: csr.spki,
        requestedLifetimeSeconds: request.ttlSeconds,
      },
      deps.policy,
      deps.clock ? { clock: deps.clock } : {},
    );
    deps.metrics.issued.inc({ path: 'sidecar' });
    deps.log.info('issued certificate', {
      spiffeId: reviewed.identity.uri,
      serial: issued.serialNumber,
      notAfter: issued.notAfter.toISOString(),
      pod: reviewed.podName,
    });
    deps.recorder?.record(
      reviewed.identity,
      {
        serial: issued.serialNumber,
        notBefore: issued.notBefore.toISOString(),
        notAfter: issued.notAfter.toISOString(),
        path: 'sidecar',
        certificate: issued.leafPem,
        ...(reviewed.podName ? { pod: reviewed.podName } : {}),
      },
      issuerChainPem(issued),
    );
    return toResponse(reviewed.identity, issued, joinPem(authority.roots));
  } catch (err) {
    deps.metrics.refused.inc({ path: 'sidecar', code: asWeftError(err).code });
    throw err;
  } finally {
    deps.metrics.duration.observe(
      { path: 'sidecar' },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  }
}
