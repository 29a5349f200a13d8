// The HTTP parsers for one direction: an HTTP/1.1 server and an HTTP/2 server that
// never listen themselves; the listener hands them connections it has classified.
// Node's parser refuses request smuggling shapes (Content-Length with
// Transfer-Encoding, duplicate lengths, bad header bytes, obs-fold); those and
// oversized heads are answered 400/431 here, counted, logged, never forwarded.
import http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { LimitedLogger } from '../src/log-limit.js';
import { connectionOf } from './connection.js';
import type { Exchange, Handler } from './exchange.js';
import { newExchange } from './exchange.js';

export interface Limits {
  readonly maxHeaderBytes: number;
  readonly idleTimeoutMs: number;
  /** A request head (HTTP/1.1), or a session's first request (HTTP/2), must arrive within this. */
  readonly headersTimeoutMs: number;
}

/**
 * How often Node looks for heads past their time (its default, 30 s, would let a
 * slow client live up to 30 s past the bound).
 */
const checkEveryMs = (headersTimeoutMs: number): number =>
  Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4)));

/**
 * Node's head timeout for a server that listens itself (admin, health): a client
 * sending its head a byte every few seconds (slowloris) is cut with a 408 at
 * `headersTimeoutMs`, and a whole request (these take small bodies) at twice it.
 */
export function boundedServerOptions(headersTimeoutMs: number): http.ServerOptions {
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: 2 * headersTimeoutMs,
    connectionsCheckingInterval: checkEveryMs(headersTimeoutMs),
  };
}

export interface HttpServers {
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
  readonly h2Sessions: Set<http2.ServerHttp2Session>;
}

export interface ServerHooks {
  readonly request: Handler;
  readonly upgrade: Handler;
  readonly refused: (reason: string) => void;
  /** Every line here can be triggered by a peer: rate-limited. */
  readonly peerLog: LimitedLogger;
}

/**
 * Runs a request through its stack. The rescue layer answers every failure it can
 * see; this is the last guard, for a throw outside it (telemetry, a bug): the
 * exchange is dropped and logged, never left to crash the process.
 */
function run(handler: Handler, ex: Exchange, hooks: ServerHooks): void {
  handler(ex).catch((err: unknown) => {
    hooks.refused('internal_error');
    hooks.peerLog.log('error', 'request failed outside the rescue layer', { err });
    ex.res.destroy();
  });
}

function answer(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function createHttpServers(hooks: ServerHooks, limits: Limits): HttpServers {
  const h1 = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0, // streams may be long; idle connections are bounded below
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: checkEveryMs(limits.headersTimeoutMs),
  });
  // Node tracks connections (and enforces headersTimeout) only from 'listening',
  // which a server that never listens does not see: without this a head sent a
  // byte at a time, each within the idle timeout, held its connection forever.
  h1.emit('listening');
  // No byte either way for this long closes the connection, whatever it is doing.
  h1.timeout = limits.idleTimeoutMs;
  h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const conn = connectionOf(req);
    if (!conn) return void res.destroy();
    run(hooks.request, newExchange(req, res, conn), hooks);
  });
  h1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const conn = connectionOf(req);
    if (!conn) return void socket.destroy();
    // Node answers an HTTP/1.1 request without Host with 400 (RFC 9112 §3.2), but not
    // an Upgrade: forwarded, it would gain the upstream's Host (found by fuzzing).
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      hooks.refused('missing_host');
      hooks.peerLog.warn('HTTP request refused', { reason: 'missing_host' }, 'malformed|host');
      return void answer(socket, 400, 'Bad Request');
    }
    const res = new http.ServerResponse(req);
    try {
      res.assignSocket(socket as never);
    } catch {
      // An Upgrade pipelined behind a request still being answered: Node allows one
      // response per socket (ERR_HTTP_SOCKET_ASSIGNED). Found by fuzzing; it used to
      // escape the listener and end the process. Refuse the connection instead.
      hooks.refused('upgrade_pipelined');
      hooks.peerLog.warn('pipelined upgrade refused', { reason: 'upgrade_pipelined' });
      return void socket.destroy();
    }
    const ex = newExchange(req, res, conn);
    ex.upgrade = { socket, head };
    run(hooks.upgrade, ex, hooks);
  });
  h1.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const reason =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'header_timeout' : (err.code ?? 'client_error');
    if (reason === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    hooks.refused(reason);
    hooks.peerLog.warn('HTTP request refused', { reason }, `malformed|${reason}`);
    if (reason === 'HPE_HEADER_OVERFLOW') answer(socket, 431, 'Request Header Fields Too Large');
    else if (reason === 'header_timeout') answer(socket, 408, 'Request Timeout');
    else answer(socket, 400, 'Bad Request');
  });

  const h2Sessions = new Set<http2.ServerHttp2Session>();
  const h2 = http2.createServer({
    maxHeaderListPairs: 256,
    maxSessionMemory: 16,
    settings: { maxConcurrentStreams: 1000, maxHeaderListSize: limits.maxHeaderBytes },
  });
  h2.on('session', (session: http2.ServerHttp2Session) => {
    h2Sessions.add(session);
    // The idle timeout restarts on every byte; a client dripping its preface,
    // SETTINGS or first HEADERS would never reach it: its first request is due
    // within the head bound.
    const due = setTimeout(() => {
      hooks.refused('header_timeout');
      hooks.peerLog.warn('HTTP/2 session sent no request in time', {}, 'h2|header_timeout');
      // GOAWAY first (an idle client that connected early reconnects cleanly), then
      // the socket, whatever the client keeps sending.
      session.close();
      setTimeout(() => session.destroy(), 1000).unref();
    }, limits.headersTimeoutMs);
    session.once('stream', () => clearTimeout(due));
    session.on('close', () => {
      clearTimeout(due);
      h2Sessions.delete(session);
    });
    session.setTimeout(limits.idleTimeoutMs, () => session.close());
  });
  h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const conn = connectionOf(req);
    if (!conn) return void res.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    run(hooks.request, newExchange(req, res, conn), hooks);
  });
  h2.on('sessionError', (err: NodeJS.ErrnoException) => {
    const reason = err.code ?? 'h2_session_error';
    hooks.refused(reason);
    hooks.peerLog.warn('HTTP/2 session error', { reason }, `h2|${reason}`);
  });
  return { h1, h2, h2Sessions };
}

/** Stops taking new requests: idle HTTP/1.1 connections close, HTTP/2 sends GOAWAY. */
export function drainServers(s: HttpServers): void {
  s.h1.closeIdleConnections();
  for (const session of s.h2Sessions) session.close();
}
