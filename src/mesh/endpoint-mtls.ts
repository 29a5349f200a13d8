// Whether a caller sends mTLS to an endpoint's port: the endpoint's own answer, unless
// a port-level PeerAuthentication made that port differ (DISABLE on one port of a
// meshed pod takes plaintext only; a TLS handshake there would be read as garbage).
import type { Endpoint } from './config.js';

export function takesMtls(endpoint: Endpoint, targetPort: number): boolean {
  if (!endpoint.portMtls) return endpoint.mtls;
  return endpoint.portMtls.find((p) => p.port === targetPort)?.mtls ?? endpoint.mtls;
}

/** Whether any port of the endpoint takes mTLS (its identity then vouches for the service). */
export function anyMtls(endpoint: Endpoint): boolean {
  return endpoint.mtls || (endpoint.portMtls ?? []).some((p) => p.mtls);
}
