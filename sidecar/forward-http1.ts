// Forwards one HTTP/1.1 exchange upstream and streams the answer back: bodies flow
// both ways with backpressure (nothing is buffered whole), trailers are carried,
// and a failure before the response becomes a typed error for the rescue layer.
import http from 'node:http';
import https from 'node:https';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Exchange } from './exchange.js';
import { forwardHeaders } from './http-headers.js';
import { CONNECT_TIMEOUT_MS } from './upstream-pool.js';

export function upstreamFailure(err: NodeJS.ErrnoException): WeftError {
  if (err instanceof WeftError) return err;
  const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
  const code = reset ? ErrorCode.UpstreamReset : ErrorCode.UpstreamConnectFailed;
  return new WeftError(code, `upstream: ${err.code ?? err.message}`, { cause: err });
}

export function forwardHttp1(
  ex: Exchange,
  options: http.RequestOptions,
  extraHeaders: http.OutgoingHttpHeaders,
): Promise<void> {
  const { req, res } = ex;
  const headers = { ...forwardHeaders(req.headers), ...extraHeaders };
  const request = 'secureContext' in options ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const up = request({ ...options, method: req.method, path: req.url, headers });
    const connectTimer = setTimeout(() => {
      up.destroy(new WeftError(ErrorCode.UpstreamTimeout, 'upstream connect timed out'));
    }, CONNECT_TIMEOUT_MS);
    up.once('socket', (s) => {
      if (!s.connecting) clearTimeout(connectTimer);
      else s.once('connect', () => clearTimeout(connectTimer));
    });
    up.on('response', (answer) => {
      clearTimeout(connectTimer);
      (res as http.ServerResponse).writeHead(
        answer.statusCode ?? 502,
        forwardHeaders(answer.headers),
      );
      answer.on('data', (chunk: Buffer) => (ex.responseBytes += chunk.length));
      answer.on('end', () => {
        if (Object.keys(answer.trailers).length) res.addTrailers(answer.trailers);
      });
      answer.on('error', () => res.destroy());
      answer.pipe(res as http.ServerResponse);
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!res.headersSent) reject(upstreamFailure(err));
      else {
        ex.flags = 'UR';
        res.destroy();
        resolve();
      }
    });
    res.once('close', () => {
      clearTimeout(connectTimer);
      if (!res.writableFinished) up.destroy();
      resolve();
    });
    req.on('data', (chunk: Buffer) => (ex.requestBytes += chunk.length));
    req.pipe(up);
  });
}
