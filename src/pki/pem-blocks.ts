// Splitting PEM text into blocks, with no dependency beyond the language: the
// sidecar's certificate agent needs only this, and loading @peculiar/x509 (and its
// ASN.1 schemas) for it cost ~0.8 s of every pod's start on a busy node.

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of `label` in `text`, normalised, in order. */
export function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  return [...text.matchAll(BLOCK)].filter((m) => m[1] === label).map((m) => m[0].trim() + '\n');
}
