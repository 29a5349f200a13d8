// The shell every weft server shares: health, readiness and metrics routes, a JSON
// body cap, one error handler that maps typed errors to responses, and graceful
// shutdown. Components add their routes between `createApp` and `finishApp`.
import express from 'express';
import type { ErrorRequestHandler, Express, Request } from 'express';
import type { Registry } from 'prom-client';
import { ErrorCode, WeftError, asWeftError } from '../errors.js';
import type { Logger } from '../log.js';
import { limitLogger } from '../log-limit.js';

export interface AppOptions {
  readonly registry: Registry;
  readonly log: Logger;
  /** Resolves to undefined when ready, or a reason it is not. */
  readonly ready: () => string | undefined;
  readonly bodyLimitBytes: number;
}

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const reason = opts.ready();
    res
      .status(reason ? 503 : 200)
      .type('text/plain')
      .send(reason ? `not ready: ${reason}\n` : 'ok\n');
  });
  app.get('/metrics', (_req, res, next) => {
    opts.registry.metrics().then((text) => {
      res.type(opts.registry.contentType).send(text);
    }, next);
  });
  app.use(express.json({ limit: opts.bodyLimitBytes, type: () => true, strict: true }));
  return app;
}

/** body-parser's failures as weft errors, so they get the same JSON shape. */
function fromBodyParser(err: unknown): WeftError | undefined {
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large') {
    return new WeftError(ErrorCode.BodyTooLarge, 'request body is too large');
  }
  if (type === 'entity.parse.failed') {
    return new WeftError(ErrorCode.BadRequest, 'request body is not valid JSON');
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new WeftError(ErrorCode.UnsupportedMediaType, 'unsupported body encoding');
  }
  return undefined;
}

/** Adds the 404 and error handlers; call after the component's routes. */
export function finishApp(app: Express, log: Logger, onError?: (e: WeftError) => void): void {
  app.use((req: Request) => {
    throw new WeftError(ErrorCode.NotFound, `no route for ${req.method} ${req.path}`);
  });
  // Any peer can cause a refusal per request: lines are rate-limited per error code
  // (never per path or message, which the peer chooses).
  const limited = limitLogger(log);
  const handler: ErrorRequestHandler = (err, req, res, _next) => {
    const e = fromBodyParser(err) ?? asWeftError(err);
    onError?.(e);
    const fields = { code: e.code, status: e.status, method: req.method, path: req.path };
    if (e.status >= 500) limited.log('error', e.message, { ...fields, err: e.cause ?? e }, e.code);
    else limited.warn(e.message, fields, e.code);
    if (e.retryAfterSeconds) res.setHeader('Retry-After', String(e.retryAfterSeconds));
    res.status(e.status).json({ error: { code: e.code, message: e.message } });
  };
  app.use(handler);
}
