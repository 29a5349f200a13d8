// The peer's SPIFFE ID as a TLS handshake reports it, for the sidecar's listeners and
// pool and for discovery's stream: one reading, so both ends agree on what counts.

/** The SPIFFE ID in a verified peer certificate's URI SANs (exactly one), or undefined. */
export function spiffeIdOf(cert: { subjectaltname?: string } | undefined): string | undefined {
  const uris = (cert?.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith('URI:spiffe://'))
    .map((s) => s.slice(4));
  return uris.length === 1 ? uris[0] : undefined;
}
