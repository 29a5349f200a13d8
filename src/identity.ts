// The workload identity, parsed once and shared by the CA, the sidecar and the
// plugin: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.
import { ErrorCode, WeftError } from './errors.js';

export interface WorkloadIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly uri: string;
}

// RFC 1123 labels for namespaces; ServiceAccount names are DNS subdomains.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// SPIFFE trust domains: lowercase letters, digits, dots, dashes, underscores.
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

function invalid(message: string): WeftError {
  return new WeftError(ErrorCode.BadRequest, message);
}

export function workloadIdentity(
  trustDomain: string,
  namespace: string,
  serviceAccount: string,
): WorkloadIdentity {
  if (!TRUST_DOMAIN.test(trustDomain)) throw invalid(`invalid trust domain "${trustDomain}"`);
  if (!DNS_LABEL.test(namespace)) throw invalid(`invalid namespace "${namespace}"`);
  if (!DNS_SUBDOMAIN.test(serviceAccount)) {
    throw invalid(`invalid service account name "${serviceAccount}"`);
  }
  return {
    trustDomain,
    namespace,
    serviceAccount,
    uri: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
  };
}

/** Parses a SPIFFE ID of weft's shape; any other shape is an error naming the input. */
export function parseSpiffeId(uri: string): WorkloadIdentity {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (!m) throw invalid(`"${uri}" is not a SPIFFE ID of the form spiffe://<td>/ns/<ns>/sa/<sa>`);
  return workloadIdentity(m[1]!, m[2]!, m[3]!);
}

/** `system:serviceaccount:<ns>:<sa>` → identity; undefined for any other username. */
export function identityFromUsername(
  username: string,
  trustDomain: string,
): WorkloadIdentity | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  return workloadIdentity(trustDomain, parts[0]!, parts[1]!);
}
