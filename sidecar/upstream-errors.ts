// An upstream failure as a typed error for the rescue layer, from Node's socket
// codes and undici's alike: a reset is UR, a timeout UT, anything else (refused,
// TLS, wrong peer identity) a failed connect, UF.
import { ErrorCode, WeftError } from '../src/errors.js';

const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

export function upstreamFailure(err: Error & { code?: string }): WeftError {
  if (err instanceof WeftError) return err;
  const code = err.code ?? '';
  const type = RESET.has(code)
    ? ErrorCode.UpstreamReset
    : TIMEOUT.has(code)
      ? ErrorCode.UpstreamTimeout
      : ErrorCode.UpstreamConnectFailed;
  return new WeftError(type, `upstream: ${code || err.message}`, { cause: err });
}
