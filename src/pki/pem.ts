// PEM handling in one place: split bundles, and join certificates into chains.
import { x509 } from './provider.js';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of `label` in `text`, normalised, in order. */
export function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  return [...text.matchAll(BLOCK)].filter((m) => m[1] === label).map((m) => m[0].trim() + '\n');
}

export function parseCertificates(text: string): x509.X509Certificate[] {
  return pemBlocks(text).map((pem) => new x509.X509Certificate(pem));
}

export function joinPem(certs: readonly (x509.X509Certificate | string)[]): string {
  return certs.map((c) => (typeof c === 'string' ? c.trim() : c.toString('pem')) + '\n').join('');
}
