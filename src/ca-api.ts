// The CA's HTTP contract, shared by the CA (ca/) and its clients (the certificate
// agent): one definition of the path and the shapes.

export const CERTIFICATES_PATH = '/v1/certificates';
export const TRUST_BUNDLE_PATH = '/v1/trust-bundle';

export interface CertificateRequestBody {
  /** PEM PKCS#10. */
  readonly csr: string;
  readonly ttlSeconds?: number;
}

export interface CertificateResponse {
  readonly spiffeId: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** PEM: leaf first, then the issuer chain, ending with the root. */
  readonly certChain: string[];
  /** Every root the mesh trusts right now. */
  readonly trustBundle: string;
}
