// Forwards one HTTP/2 exchange (gRPC included) on a shared upstream session:
// headers, a streamed body each way, and trailers (grpc-status lives there).
import type http from 'node:http';
import type http2 from 'node:http2';
import { Readable } from 'node:stream';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Exchange } from './exchange.js';
import { asSent, forwardHeaders } from './http-headers.js';
import { upstreamFailure } from './upstream-errors.js';

/** A body the routes layer read: whole (a retry replays it), or its start and the rest. */
function sendBody(up: http2.ClientHttp2Stream, body: Buffer | AsyncIterable<Buffer>): void {
  if (Buffer.isBuffer(body)) up.end(body);
  else Readable.from(body).pipe(up);
}

export function forwardHttp2(
  ex: Exchange,
  session: http2.ClientHttp2Session,
  extraHeaders: http.OutgoingHttpHeaders,
): Promise<void> {
  const req = ex.req as http2.Http2ServerRequest;
  const res = ex.res as http2.Http2ServerResponse;
  const headers: http2.OutgoingHttpHeaders = {
    // Each field as the client sent it: a join of repeated fields can be invalid.
    ...asSent(forwardHeaders(req.headers), req.rawHeaders),
    ...extraHeaders,
    ':method': req.method,
    ':path': req.url,
    ':authority': req.authority,
    ':scheme': req.scheme || 'http',
  };
  const t = ex.upstreamTry;
  // The client's stream already closed (it reset while a body was read or a retry
  // waited): 'close' will not fire again, so a try started now would never settle.
  if (res.stream.destroyed || res.stream.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let up: http2.ClientHttp2Stream;
    // The routes layer refused this answer (a retry follows): nothing of it is sent.
    let dropped = false;
    try {
      up = session.request(headers);
    } catch (cause) {
      reject(new WeftError(ErrorCode.UpstreamConnectFailed, 'upstream session closed', { cause }));
      return;
    }
    type Answer = http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader;
    up.on('response', (answer: Answer, _flags: number, raw: string[] = []) => {
      const status = Number(answer[':status'] ?? 502);
      const headers = forwardHeaders(answer);
      const sent = t?.head ? t.head(status, headers) : headers;
      if (!sent) {
        dropped = true;
        up.close(0x8); // CANCEL
        resolve();
        return;
      }
      if (answer['grpc-status'] !== undefined) ex.grpcStatus = String(answer['grpc-status']);
      res.writeHead(status, asSent(sent, raw));
      up.on('data', (chunk: Buffer) => (ex.responseBytes += chunk.length));
      up.pipe(res);
    });
    up.on('trailers', (trailers: http2.IncomingHttpHeaders, _flags: number, raw: string[] = []) => {
      if (dropped) return;
      if (trailers['grpc-status'] !== undefined) ex.grpcStatus = String(trailers['grpc-status']);
      res.addTrailers(asSent(forwardHeaders(trailers), raw));
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (dropped) return;
      if (!res.headersSent) reject(upstreamFailure(err));
      else {
        ex.flags = 'UR';
        res.destroy();
        resolve();
      }
    });
    // Stream reset by the peer without an answer.
    up.on('close', () => {
      if (!res.headersSent && up.rstCode) {
        reject(new WeftError(ErrorCode.UpstreamReset, `upstream reset (${up.rstCode})`));
      }
    });
    res.once('close', () => {
      if (!res.writableFinished && !up.closed) up.close(0x8); // CANCEL
      resolve();
    });
    // A timeout: before the answer, the layer gets the reason; after, the reply is reset.
    const stop = (): void => {
      if (!up.closed) up.close(0x8); // CANCEL
      if (dropped) return;
      if (!res.headersSent) return reject(t!.signal!.reason as Error);
      ex.flags = 'UT';
      // A reset the client can tell from an end: RST_STREAM INTERNAL_ERROR, as Envoy.
      res.stream.close(0x2);
      resolve();
    };
    if (t?.signal?.aborted) stop();
    else t?.signal?.addEventListener('abort', stop, { once: true });
    if (ex.body) sendBody(up, ex.body);
    else {
      req.on('data', (chunk: Buffer) => (ex.requestBytes += chunk.length));
      req.pipe(up);
    }
  });
}
