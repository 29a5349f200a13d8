// Forwards one HTTP/1.1 exchange on an undici Pool: the hot path. Measured against
// Node's http.Agent in bench:sidecar, CPU per request fell by a quarter and
// saturation doubled (numbers in the commit that chose it). The request body is
// streamed in, the response streamed out with backpressure: when the client reads
// slowly, the upstream socket is paused, so nothing is buffered whole.
import type http from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { mergeFlags } from '../src/traffic/index.js';
import type { Exchange } from './exchange.js';
import { onReplyEnd } from './exchange.js';
import { forwardHeaders } from './http-headers.js';
import { bodyForTry } from './replayable-body.js';
import { upstreamFailure } from './upstream-errors.js';

/** A request has a body when it says so (RFC 9112 §6.3); a bodiless one sends none. */
export function hasBody(req: http.IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

/** The body as undici pulls it (a 'data' listener would start the flow before undici reads). */
async function* counted(req: http.IncomingMessage, ex: Exchange): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    ex.requestBytes += chunk.length;
    yield chunk;
  }
}

export function forwardPooled(
  ex: Exchange,
  pool: Pool,
  extraHeaders: http.OutgoingHttpHeaders,
): Promise<void> {
  const req = ex.req as http.IncomingMessage;
  const res = ex.res as http.ServerResponse;
  // Assigned onto the fresh object, not `{ ...a, ...b }`: Node 20's V8 builds an object
  // that starts with a spread and goes on ~40x slower (src/routes/plan.ts).
  const headers = forwardHeaders(req.headers) as Record<string, string>;
  Object.assign(headers, extraHeaders);
  const t = ex.upstreamTry;
  const held = bodyForTry(ex);
  // A body the routes layer holds is sent whole: undici states its length.
  if (Buffer.isBuffer(held)) delete headers['content-length'];
  // undici writes async iterables as streamed bodies; its types list only Readable.
  const body = (held ?? (hasBody(req) ? counted(req, ex) : null)) as Readable | Buffer | null;
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let gone = false;
    // The routes layer refused this answer (a retry follows): nothing of it is sent.
    let dropped = false;
    // Stopped from this side (a timeout, the client gone): the abort then surfaces as
    // an upstream error, which says nothing about the upstream (a timeout would read UT,UR).
    let cancelled = false;
    const cancel = (reason: Error): void => {
      cancelled = true;
      if (controller && !controller.aborted) controller.abort(reason);
    };
    // The answer's head went out and the rest cannot follow: the client sees a reset.
    // Joined to the flags already set (DI, URX…), as the rescue layer joins its own.
    const cut = (flag: string): void => {
      ex.flags = mergeFlags(ex.flags, flag);
      res.destroy();
      resolve();
    };
    // The reply ended, or the client left: stop the upstream request (if it started
    // and the reply is not complete) and settle.
    const leave = (): void => {
      gone = true;
      if (!res.writableFinished) cancel(new Error('client went away'));
      resolve();
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (gone) c.abort(new Error('client went away'));
        else if (t?.signal?.aborted) c.abort(t.signal.reason);
      },
      onResponseStart(c, statusCode, answer) {
        if (statusCode < 200) return; // informational (103): the final answer follows
        const headers = forwardHeaders(answer);
        const sent = t?.head ? t.head(statusCode, headers) : headers;
        if (!sent) {
          dropped = true;
          c.abort(new Error('answer dropped for a retry'));
          resolve();
          return;
        }
        res.writeHead(statusCode, sent);
      },
      onResponseData(c, chunk) {
        if (dropped) return;
        ex.responseBytes += chunk.length;
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd(_c, trailers) {
        if (Object.keys(trailers).length) res.addTrailers(forwardHeaders(trailers));
        res.end();
      },
      onResponseError(_c, err) {
        if (dropped || cancelled) return;
        if (!res.headersSent) return reject(upstreamFailure(err));
        cut('UR');
      },
    };
    onReplyEnd(ex, leave);
    // A timeout: before the answer, the layer gets the reason; after, the reply is reset.
    t?.signal?.addEventListener(
      'abort',
      () => {
        // Marked before the abort, which may report the error at once.
        cancel(t.signal!.reason);
        if (dropped) return;
        if (!res.headersSent) return reject(t.signal!.reason);
        cut('UT');
      },
      { once: true },
    );
    pool.dispatch(
      {
        origin: undefined,
        path: req.url ?? '/',
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body,
      },
      handler,
    );
  });
}
