// `weft discovery` alone takes its serving certificate, key and the mesh's roots from
// PEM files, typically a mounted Secret that cert-manager or a rotation rewrites. The
// files are polled (a Secret volume changes by swapping a symlink, which file watches
// miss) and a new set is checked before it is used: a certificate that does not parse,
// a key that is not the certificate's, or roots without one certificate are refused
// with a log line, and the credentials in force stay. New handshakes take the new set;
// open streams keep their connection.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import { pemBlocks } from '../src/pki/pem-blocks.js';
import type { DiscoveryTls } from './main.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly roots: string;
}

export async function readTlsFiles(files: TlsFiles): Promise<DiscoveryTls> {
  const [cert, key, roots] = await Promise.all(
    [files.cert, files.key, files.roots].map((f) => readFile(f, 'utf8')),
  );
  return { cert: cert!, key: key!, roots: roots! };
}

/** Why this set cannot serve, or undefined when it can. */
export function tlsProblem(tls: DiscoveryTls): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(tls.cert);
  } catch {
    return 'the certificate file holds no readable certificate';
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(tls.key))) {
      return 'the key does not match the certificate';
    }
  } catch {
    return 'the key file holds no readable private key';
  }
  const roots = pemBlocks(tls.roots);
  if (!roots.length) return 'the roots file holds no certificate';
  try {
    for (const r of roots) new X509Certificate(r);
  } catch {
    return 'the roots file holds a certificate that does not parse';
  }
  return undefined;
}

/** The first set, checked: discovery does not start on credentials it could not serve. */
export async function loadTls(files: TlsFiles): Promise<DiscoveryTls> {
  const tls = await readTlsFiles(files);
  const problem = tlsProblem(tls);
  if (problem) throw new WeftError(ErrorCode.ConfigInvalid, `invalid TLS files: ${problem}`);
  return tls;
}

const same = (a: DiscoveryTls, b: DiscoveryTls): boolean =>
  a.cert === b.cert && a.key === b.key && a.roots === b.roots;

/**
 * Polls the files every `intervalMs` and calls `apply` with each new valid set. Returns
 * a function that stops polling. A refused set is logged once (until the files change
 * again): a half-written rotation is refused, then taken when its last file lands.
 */
export function reloadTls(
  files: TlsFiles,
  current: DiscoveryTls,
  opts: { intervalMs: number; apply: (tls: DiscoveryTls) => void; log: Logger },
): () => void {
  let inForce = current;
  let lastRefused: DiscoveryTls | undefined;
  let busy = false;
  // A missing file is seen at every poll until it is back: a few lines, then a count.
  const limited = limitLogger(opts.log);
  const check = async (): Promise<void> => {
    const next = await readTlsFiles(files).catch((err: unknown) => {
      limited.warn(
        'discovery TLS files unreadable; keeping the credentials in force',
        { err },
        'tls_unreadable',
      );
      return undefined;
    });
    if (!next || same(next, inForce) || (lastRefused && same(next, lastRefused))) return;
    const problem = tlsProblem(next);
    if (problem) {
      lastRefused = next;
      opts.log.warn('discovery TLS files refused; keeping the credentials in force', {
        reason: problem,
      });
      return;
    }
    try {
      opts.apply(next); // OpenSSL may still refuse what parsed (a later PEM block, a weak key)
    } catch (err) {
      lastRefused = next;
      opts.log.warn('discovery TLS files refused; keeping the credentials in force', {
        reason: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    inForce = next;
    lastRefused = undefined;
    opts.log.info('discovery TLS credentials reloaded', {
      serial: new X509Certificate(next.cert).serialNumber,
    });
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check().finally(() => (busy = false));
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
