// An upstream failure as a typed error for the rescue layer, from Node's socket
// codes, undici's and HTTP/2's alike: a reset is UR, a timeout UT, anything else
// (refused, TLS, wrong peer identity, a stream never sent) a failed connect, UF.
//
// Which it is decides retries: Istio's default retries a failed connect and a
// refused stream, never a reset, since a reset request may have been acted on. So an
// HTTP/2 RST_STREAM is a reset, except REFUSED_STREAM, by which the peer says it
// processed nothing (RFC 9113 §8.7): a reset that is safe to try again.
import http2 from 'node:http2';
import { ErrorCode, WeftError } from '../src/errors.js';

const RESET = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  // RST_STREAM, or the session failing under a stream already sent.
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
]);
const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);
const REFUSED_NAME = 'NGHTTP2_REFUSED_STREAM';

/** Resets by which the peer refused the stream unprocessed. */
const refused = new WeakSet<WeftError>();

/** Was this failure a stream the peer refused without processing it (REFUSED_STREAM)? */
export const isRefusedStream = (err: unknown): boolean =>
  err instanceof WeftError && refused.has(err);

/** A stream the peer reset with `rstCode` before any answer. */
export function upstreamReset(rstCode: number): WeftError {
  const err = new WeftError(ErrorCode.UpstreamReset, `upstream reset (${rstCode})`);
  if (rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) refused.add(err);
  return err;
}

export function upstreamFailure(err: Error & { code?: string }): WeftError {
  if (err instanceof WeftError) return err;
  const code = err.code ?? '';
  const type = RESET.has(code)
    ? ErrorCode.UpstreamReset
    : TIMEOUT.has(code)
      ? ErrorCode.UpstreamTimeout
      : ErrorCode.UpstreamConnectFailed;
  const failure = new WeftError(type, `upstream: ${code || err.message}`, { cause: err });
  if (code === 'ERR_HTTP2_STREAM_ERROR' && err.message.includes(REFUSED_NAME)) refused.add(failure);
  return failure;
}
