// The one place a failure becomes a response: typed errors map to their status
// (404 no route, 503 no upstream or failed connect, 504 timeout) with the Envoy
// response flag recorded; the body names the failure but not internal detail. A
// peer can make a failure per request, so the log lines are rate-limited by code.
import { asWeftError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import type { LimitedLogger } from '../../src/log-limit.js';
import type { Layer } from '../exchange.js';

const FLAGS: Partial<Record<ErrorCode, string>> = {
  no_route: 'NR',
  no_healthy_upstream: 'UH',
  upstream_connect_failed: 'UF',
  upstream_reset: 'UR',
  upstream_timeout: 'UT',
  unavailable: 'UH',
};

export const rescue =
  (log: LimitedLogger): Layer =>
  (next) =>
  async (ex) => {
    try {
      await next(ex);
    } catch (err) {
      const e = asWeftError(err);
      ex.flags = FLAGS[e.code] ?? 'DPE';
      const fields = { code: e.code, direction: ex.conn.direction, flags: ex.flags };
      const key = `rescue|${e.code}`;
      if (e.status >= 500 && !FLAGS[e.code])
        log.log('error', e.message, { ...fields, err: e.cause ?? e }, key);
      else log.log('debug', e.message, fields, key);
      const { res } = ex;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = `${e.message}\n`;
      res.writeHead(e.status, {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(body),
        'x-weft-error': e.code,
        ...(e.retryAfterSeconds ? { 'retry-after': String(e.retryAfterSeconds) } : {}),
      });
      res.end(body);
    }
  };
