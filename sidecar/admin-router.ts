// The request handling of the sidecar's admin and health servers, on node:http
// alone. Express (which the control plane's servers keep, src/http/app.ts) was the
// largest module the sidecar loaded for a few fixed routes; this keeps what those
// routes had from it: GET routes answer HEAD too; paths match case-insensitively
// and with or without a trailing slash; a request body is capped and must be JSON
// (body-parser's strict mode) before a route other than the three probes sees it;
// a missing route and a failure answer as every weft server does, with
// `{"error":{"code","message"}}` and one rate-limited log line per error code.
import type http from 'node:http';
import { ErrorCode, WeftError, asWeftError } from '../src/errors.js';
import { limitLogger } from '../src/log-limit.js';
import type { Logger } from '../src/log.js';

export interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

/** Undefined: not this route's request after all (answered 404). */
export type Route = (req: http.IncomingMessage) => Reply | undefined | Promise<Reply | undefined>;

export interface RouterOptions {
  /** `METHOD /path` (lower-case path) → route. */
  readonly routes: Readonly<Record<string, Route>>;
  /** Routes no body reaches first (the probes, as before the body parser in createApp). */
  readonly bodyless?: ReadonlySet<string>;
  /** For paths no fixed route holds (the app probes' /app-health/…). */
  readonly fallback?: Route;
  readonly bodyLimitBytes: number;
  readonly log: Logger;
}

export const text = (status: number, body: string): Reply => ({
  status,
  type: 'text/plain; charset=utf-8',
  body,
});
export const json = (value: unknown, status = 200): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});

/** The request's path without its query, as Express's req.path. */
const pathOf = (req: http.IncomingMessage): string => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** Express's default routing: case-insensitive, a trailing slash optional. */
function routeKey(method: string, path: string): string {
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return `${method} ${p.toLowerCase()}`;
}

const hasBody = (req: http.IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

const tooLarge = (): WeftError =>
  new WeftError(ErrorCode.BodyTooLarge, 'request body is too large');

/** body-parser refuses a compressed body it cannot inflate and a charset other than UTF-8. */
function checkEncoding(req: http.IncomingMessage): void {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  const charset = /;\s*charset=([^;\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (encoding !== 'identity' || (charset && !/^utf-?8$/i.test(charset.replace(/"/g, '')))) {
    throw new WeftError(ErrorCode.UnsupportedMediaType, 'unsupported body encoding');
  }
}

/** body-parser's json(): the cap, identity encoding, UTF-8, an object or array. */
async function checkBody(req: http.IncomingMessage, limit: number): Promise<void> {
  if (!hasBody(req)) return;
  if (Number(req.headers['content-length']) > limit) throw tooLarge();
  checkEncoding(req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  if (body.length === 0) return;
  try {
    const first = /^\s*(.)/.exec(body)?.[1];
    if (first !== '{' && first !== '[') throw new Error('not an object or array');
    JSON.parse(body);
  } catch {
    throw new WeftError(ErrorCode.BadRequest, 'request body is not valid JSON');
  }
}

function send(req: http.IncomingMessage, res: http.ServerResponse, r: Reply): void {
  const body = Buffer.from(r.body);
  res.writeHead(r.status, { 'content-type': r.type, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function router(o: RouterOptions): http.RequestListener {
  const limited = limitLogger(o.log);
  const fail = (req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void => {
    const e = asWeftError(err);
    const fields = { code: e.code, status: e.status, method: req.method, path: pathOf(req) };
    if (e.status >= 500) limited.log('error', e.message, { ...fields, err: e.cause ?? e }, e.code);
    else limited.warn(e.message, fields, e.code);
    if (res.headersSent) return void res.destroy();
    if (e.retryAfterSeconds) res.setHeader('retry-after', String(e.retryAfterSeconds));
    send(req, res, json({ error: { code: e.code, message: e.message } }, e.status));
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = pathOf(req);
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const key = routeKey(method, path);
    if (!o.bodyless?.has(key)) await checkBody(req, o.bodyLimitBytes);
    const route = o.routes[key] ?? o.fallback;
    const reply = await route?.(req);
    if (!reply) throw new WeftError(ErrorCode.NotFound, `no route for ${req.method} ${path}`);
    send(req, res, reply);
  };
  return (req, res) => void handle(req, res).catch((err: unknown) => fail(req, res, err));
}
