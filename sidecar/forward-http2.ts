// Forwards one HTTP/2 exchange (gRPC included) on a shared upstream session:
// headers, a streamed body each way, and trailers (grpc-status lives there).
//
// A body cut short must reach the other side as cut, never as complete. Upstream,
// the stream is destroyed with Node's AbortError (an aborted signal attached to it,
// `addAbortSignal`): RST_STREAM CANCEL alone, where `close(NGHTTP2_CANCEL)` on a
// stream still sending ends the body (END_STREAM) before the reset, and an app
// takes what it got as the whole request. Towards the
// client, a reply whose upstream failed after its head is reset (resetReply).
import type http from 'node:http';
import type http2 from 'node:http2';
import { Readable, addAbortSignal } from 'node:stream';
import { ErrorCode, WeftError } from '../src/errors.js';
import { mergeFlags } from '../src/traffic/index.js';
import type { Exchange } from './exchange.js';
import { resetReply } from './exchange.js';
import { asSent, forwardHeaders } from './http-headers.js';
import { bodyForTry } from './replayable-body.js';
import { upstreamFailure, upstreamReset } from './upstream-errors.js';

/**
 * A body the request-body layer holds: whole (a retry replays it), its start and the
 * rest, or a replayable body's read for this try (which ends once the try does).
 */
function sendBody(
  up: http2.ClientHttp2Stream,
  body: Buffer | AsyncIterable<Buffer>,
  cancel: () => void,
): void {
  if (Buffer.isBuffer(body)) return void up.end(body);
  // The rest fails when the client leaves mid-body; pipe ends `up` only on a full read.
  const rest = Readable.from(body);
  rest.once('error', cancel);
  rest.pipe(up);
  up.once('close', () => rest.destroy());
}

/**
 * The client's body as it arrives, written on with backpressure (one 'data'
 * listener, where a pipe adds six and a counter a seventh). Node's compatibility
 * request also ends ('end') when the client resets its stream or drops the
 * connection, so the upstream body must not simply end then: a request cut short
 * is 'aborted' first.
 */
function streamBody(
  req: http2.Http2ServerRequest,
  up: http2.ClientHttp2Stream,
  ex: Exchange,
  cancel: () => void,
): void {
  const resume = (): void => void req.resume();
  req.on('data', (chunk: Buffer) => {
    ex.requestBytes += chunk.length;
    // Cancelled: what still arrives is dropped (a pipe would have unpiped).
    if (!up.destroyed && !up.write(chunk)) {
      req.pause();
      up.once('drain', resume);
    }
  });
  req.once('aborted', cancel);
  req.once('end', () => (req.aborted ? cancel() : up.end()));
}

/**
 * The headers for the upstream request, built in the object forwardHeaders made
 * (asSent returns it unless a field was repeated): no copy per request.
 */
function upstreamHeaders(
  req: http2.Http2ServerRequest,
  extraHeaders: http.OutgoingHttpHeaders,
): http2.OutgoingHttpHeaders {
  // Each field as the client sent it: a join of repeated fields can be invalid.
  const headers = asSent(forwardHeaders(req.headers), req.rawHeaders);
  for (const name in extraHeaders) headers[name] = extraHeaders[name];
  headers[':method'] = req.method;
  headers[':path'] = req.url;
  headers[':authority'] = req.authority;
  headers[':scheme'] = req.scheme || 'http';
  return headers;
}

/**
 * Aborted once, at load, and attached to a stream only to cancel it: Node then
 * destroys it with its AbortError, which an h2 stream turns into RST_STREAM CANCEL.
 * An AbortController per request, handed to `session.request()`, cost a controller,
 * a signal listener and a 'close' listener on every exchange (3–4 % of each
 * sidecar's samples) for the few that are cancelled.
 */
const CANCELLED = AbortSignal.abort();

export function forwardHttp2(
  ex: Exchange,
  session: http2.ClientHttp2Session,
  extraHeaders: http.OutgoingHttpHeaders,
): Promise<void> {
  const req = ex.req as http2.Http2ServerRequest;
  const res = ex.res as http2.Http2ServerResponse;
  const t = ex.upstreamTry;
  // The client's stream already closed (it reset while a body was read or a retry
  // waited): 'close' will not fire again, so a try started now would never settle.
  if (res.stream.destroyed || res.stream.closed) return Promise.resolve();
  const headers = upstreamHeaders(req, extraHeaders);
  // Whether a body follows is the client's to say (its HEADERS ended the stream),
  // never the method's: Node ends a GET or HEAD at once unless told, and a body
  // sent with one was then written after that end, lost. Without a body nothing
  // is read or written here: END_STREAM goes out on the HEADERS frame.
  const endStream = ex.body === undefined && req.stream.endAfterHeaders;
  return new Promise((resolve, reject) => {
    let up: http2.ClientHttp2Stream;
    // The routes layer refused this answer (a retry follows): nothing of it is sent.
    let dropped = false;
    // Stopped from this side (dropped, timed out, the client gone, its body cut):
    // the stream's own 'error', 'end' and 'close' then say nothing about the upstream.
    let cancelled = false;
    try {
      up = session.request(headers, { endStream });
    } catch (cause) {
      reject(new WeftError(ErrorCode.UpstreamConnectFailed, 'upstream session closed', { cause }));
      return;
    }
    const cancel = (): void => {
      cancelled = true;
      if (!up.destroyed) addAbortSignal(CANCELLED, up);
    };
    // The answer's head went out and the rest cannot follow: the client sees a reset.
    // Joined to the flags already set (DI, URX…), as the rescue layer joins its own.
    const cut = (flag: string): void => {
      ex.flags = mergeFlags(ex.flags, flag);
      resetReply(res);
      resolve();
    };
    type Answer = http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader;
    up.on('response', (answer: Answer, _flags: number, raw: string[] = []) => {
      const status = Number(answer[':status'] ?? 502);
      const headers = forwardHeaders(answer);
      const sent = t?.head ? t.head(status, headers) : headers;
      if (!sent) {
        dropped = true;
        cancel();
        resolve();
        return;
      }
      if (answer['grpc-status'] !== undefined) ex.grpcStatus = String(answer['grpc-status']);
      res.writeHead(status, asSent(sent, raw));
      // Written on with backpressure: one listener, where a pipe adds six more.
      const resume = (): void => void up.resume();
      up.on('data', (chunk: Buffer) => {
        ex.responseBytes += chunk.length;
        if (!res.write(chunk)) {
          up.pause();
          res.once('drain', resume);
        }
      });
      // A stream torn down (an upstream CANCEL, its connection closed) 'end's too,
      // destroyed: only END_STREAM, which leaves it standing, completes the answer.
      up.once('end', () => {
        if (cancelled) return;
        if (up.destroyed) cut('UR');
        else res.end();
      });
    });
    up.on('trailers', (trailers: http2.IncomingHttpHeaders, _flags: number, raw: string[] = []) => {
      if (dropped) return;
      if (trailers['grpc-status'] !== undefined) ex.grpcStatus = String(trailers['grpc-status']);
      res.addTrailers(asSent(forwardHeaders(trailers), raw));
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (cancelled) return;
      if (!res.headersSent) reject(upstreamFailure(err));
      else cut('UR');
    });
    up.on('close', () => {
      if (cancelled) return;
      // Reset by the peer without an answer.
      if (!res.headersSent && up.rstCode) {
        reject(upstreamReset(up.rstCode));
      }
      // Torn down with part of the answer still unread: no 'end' follows.
      if (res.headersSent && !up.readableEnded) cut('UR');
    });
    // Not writableFinished: the compatibility response reads it from the stream, which
    // a client's reset finishes too, so the upstream would go on uncancelled.
    res.once('close', () => {
      if (!res.writableEnded) cancel();
      resolve();
    });
    // A timeout: before the answer, the layer gets the reason; after, the reply is reset.
    const stop = (): void => {
      cancel();
      if (dropped) return;
      if (!res.headersSent) return reject(t!.signal!.reason);
      cut('UT');
    };
    if (t?.signal?.aborted) stop();
    else t?.signal?.addEventListener('abort', stop, { once: true });
    const body = bodyForTry(ex);
    if (body) sendBody(up, body, cancel);
    else if (!endStream) streamBody(req, up, ex, cancel);
  });
}
