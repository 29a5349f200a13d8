// What a workload may ask for: the identity in its verified token and nothing else.
// Pure: a decision and its reason, so a refusal says what was asked and what is allowed.
import type { WorkloadIdentity } from '../src/identity.js';
import { parseSpiffeId } from '../src/identity.js';
import type { RequestedNames } from '../src/pki/csr.js';

export type SanDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

function describe(names: RequestedNames): string {
  const parts = [
    ...names.uris.map((v) => `URI ${v}`),
    ...names.dnsNames.map((v) => `DNS ${v}`),
    ...names.ips.map((v) => `IP ${v}`),
    ...names.emails.map((v) => `email ${v}`),
    ...names.other,
  ];
  return parts.length ? parts.join(', ') : 'no names';
}

function onlyUris(names: RequestedNames): string | undefined {
  const extra = [
    ...names.dnsNames.map((v) => `DNS ${v}`),
    ...names.ips.map((v) => `IP ${v}`),
    ...names.emails.map((v) => `email ${v}`),
    ...names.other,
  ];
  return extra.length ? `workload certificates carry no ${extra.join(', ')}` : undefined;
}

/**
 * A request from a holder of `identity` may name that identity's SPIFFE URI (or
 * nothing, in which case the CA fills it in) and nothing else.
 */
export function checkRequestForIdentity(
  names: RequestedNames,
  identity: WorkloadIdentity,
): SanDecision {
  const extra = onlyUris(names);
  const uris = names.uris;
  const ok = !extra && (uris.length === 0 || (uris.length === 1 && uris[0] === identity.uri));
  if (ok) return { allowed: true };
  return {
    allowed: false,
    reason: `request asks for ${describe(names)}, but the token allows only URI ${identity.uri}`,
  };
}

/**
 * For CSRs a human approved: exactly one SPIFFE URI of weft's shape in our trust
 * domain, nothing else. Returns the identity it names.
 */
export function checkApprovedRequest(
  names: RequestedNames,
  trustDomain: string,
): { allowed: true; identity: WorkloadIdentity } | { allowed: false; reason: string } {
  const extra = onlyUris(names);
  if (extra) return { allowed: false, reason: extra };
  if (names.uris.length !== 1) {
    return {
      allowed: false,
      reason: `request must name exactly one SPIFFE URI, it names ${describe(names)}`,
    };
  }
  try {
    const identity = parseSpiffeId(names.uris[0]!);
    if (identity.trustDomain !== trustDomain) {
      return {
        allowed: false,
        reason: `URI ${identity.uri} is outside trust domain ${trustDomain}`,
      };
    }
    return { allowed: true, identity };
  } catch (err) {
    return { allowed: false, reason: (err as Error).message };
  }
}
