// Talks to weft's CA: POST a CSR with the workload's token, get the chain back.
// The token and the CA's roots are read fresh on every request (the kubelet rotates
// the token; a root rotation changes the bundle).
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { CERTIFICATES_PATH } from '../ca-api.js';
import type { CertificateResponse } from '../ca-api.js';
import { ErrorCode, WeftError } from '../errors.js';

export interface CaClientOptions {
  readonly caUrl: string;
  readonly tokenFile: string;
  readonly trustBundleFile: string;
  readonly timeoutMs?: number;
}

interface Post {
  readonly url: URL;
  readonly ca: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
}

function post({
  url,
  ca,
  headers,
  body,
  timeoutMs,
}: Post): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          retryAfter: res.headers['retry-after'],
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`CA did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function requestCertificate(
  opts: CaClientOptions,
  csrPem: string,
  ttlSeconds?: number,
): Promise<CertificateResponse> {
  const [token, roots] = await Promise.all([
    readFile(opts.tokenFile, 'utf8'),
    readFile(opts.trustBundleFile, 'utf8'),
  ]);
  const body = JSON.stringify({ csr: csrPem, ...(ttlSeconds ? { ttlSeconds } : {}) });
  let res;
  try {
    res = await post({
      url: new URL(CERTIFICATES_PATH, opts.caUrl),
      ca: roots,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.trim()}` },
      body,
      timeoutMs: opts.timeoutMs ?? 10_000,
    });
  } catch (cause) {
    throw new WeftError(
      ErrorCode.Unavailable,
      `CA ${opts.caUrl} unreachable: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (res.status !== 201) {
    let detail = res.text.slice(0, 300);
    try {
      detail = (JSON.parse(res.text) as { error: { message: string } }).error.message;
    } catch {
      // not weft's JSON error: keep the raw start
    }
    // Retry-After in seconds (429 rate limit, 503), bounded: the agent waits at least this.
    const after = Number(res.retryAfter);
    const retryAfterSeconds =
      Number.isInteger(after) && after > 0 ? Math.min(after, 3600) : undefined;
    throw new WeftError(
      res.status >= 500 || res.status === 429 ? ErrorCode.Unavailable : ErrorCode.Forbidden,
      `CA refused (${res.status}): ${detail}`,
      retryAfterSeconds ? { retryAfterSeconds } : undefined,
    );
  }
  return JSON.parse(res.text) as CertificateResponse;
}
