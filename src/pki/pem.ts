// PEM handling in one place: split bundles, and join certificates into chains.
import { pemBlocks } from './pem-blocks.js';
import { x509 } from './provider.js';

export { pemBlocks };

export function parseCertificates(text: string): x509.X509Certificate[] {
  return pemBlocks(text).map((pem) => new x509.X509Certificate(pem));
}

export function joinPem(certs: readonly (x509.X509Certificate | string)[]): string {
  return certs.map((c) => (typeof c === 'string' ? c.trim() : c.toString('pem')) + '\n').join('');
}
