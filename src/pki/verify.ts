// Chain verification against a set of trusted roots: each link's signature, each
// certificate's validity at `now`, CA flags on every issuer, ending at a trusted root.
import { defaultCrypto, x509 } from './provider.js';

export type ChainVerdict =
  | { readonly ok: true; readonly root: x509.X509Certificate }
  | { readonly ok: false; readonly reason: string };

function validAt(cert: x509.X509Certificate, now: Date): string | undefined {
  if (now < cert.notBefore)
    return `${cert.subject || 'leaf'} is not valid before ${cert.notBefore.toISOString()}`;
  if (now > cert.notAfter)
    return `${cert.subject || 'leaf'} expired at ${cert.notAfter.toISOString()}`;
  return undefined;
}

async function signedBy(
  child: x509.X509Certificate,
  parent: x509.X509Certificate,
  crypto: Crypto,
): Promise<boolean> {
  if (child.issuer !== parent.subject) return false;
  if (!parent.getExtension(x509.BasicConstraintsExtension)?.ca) return false;
  return child
    .verify({ publicKey: parent.publicKey, signatureOnly: true }, crypto)
    .catch(() => false);
}

async function trustedParent(
  cert: x509.X509Certificate,
  roots: readonly x509.X509Certificate[],
  crypto: Crypto,
): Promise<x509.X509Certificate | undefined> {
  for (const root of roots) if (await signedBy(cert, root, crypto)) return root;
  return undefined;
}

async function intermediateParent(
  cert: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  crypto: Crypto,
): Promise<x509.X509Certificate | undefined> {
  for (const c of intermediates) {
    if (!c.equal(cert) && (await signedBy(cert, c, crypto))) return c;
  }
  return undefined;
}

export interface VerifyInput {
  readonly leaf: x509.X509Certificate;
  readonly intermediates: readonly x509.X509Certificate[];
  readonly roots: readonly x509.X509Certificate[];
  readonly now?: Date;
}

export async function verifyChain(
  { leaf, intermediates, roots, now = new Date() }: VerifyInput,
  crypto: Crypto = defaultCrypto,
): Promise<ChainVerdict> {
  let current = leaf;
  // Bounded walk: a chain longer than the certificates given is a loop.
  for (let depth = 0; depth <= intermediates.length; depth++) {
    const expired = validAt(current, now);
    if (expired) return { ok: false, reason: expired };
    const root = await trustedParent(current, roots, crypto);
    if (root) {
      const rootExpired = validAt(root, now);
      return rootExpired ? { ok: false, reason: rootExpired } : { ok: true, root };
    }
    const parent = await intermediateParent(current, intermediates, crypto);
    if (!parent) {
      const who = current.subject || 'the leaf';
      return { ok: false, reason: `no trusted root or intermediate signed ${who}` };
    }
    current = parent;
  }
  return { ok: false, reason: 'chain does not end at a trusted root' };
}
