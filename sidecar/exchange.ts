// One HTTP request through the sidecar and the one handler shape every layer
// shares. HTTP/1.1 and HTTP/2 arrive as Node's compatible request/response pair,
// so each layer is written once for both.
import type http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Decision } from '../src/authz/index.js';
import type { Endpoint } from '../src/mesh/config.js';
import type { Plan } from '../src/routes/index.js';
import type { Target } from '../src/mesh/mesh-index.js';
import type { Peers } from './istio-metrics.js';
import type { ReplayableBody } from './replayable-body.js';
import type { ServiceTraffic } from './traffic-state.js';
import type { TrySignal } from './try-signal.js';

export type Direction = 'outbound' | 'inbound';

/** What is known about the connection a request arrived on. */
export interface ConnectionInfo {
  readonly direction: Direction;
  /** Where the app (outbound) or the peer (inbound) addressed the connection. */
  readonly destination: { readonly address: string; readonly port: number };
  readonly remoteAddress: string;
  /** The verified peer SPIFFE ID (inbound mTLS only). */
  readonly peerIdentity?: string | undefined;
  readonly mtls: boolean;
  /** The TLS server name the peer sent, if any (authorization's `connection.sni`). */
  readonly sni?: string | undefined;
}

export type ProxyRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type ProxyResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface Exchange {
  readonly req: ProxyRequest;
  readonly res: ProxyResponse;
  readonly conn: ConnectionInfo;
  readonly startedAt: bigint;
  /** Logical destination (outbound: the service; inbound: this pod's service, if known). */
  target?: Target | undefined;
  /** Concrete endpoint chosen for this request (outbound). */
  endpoint?: Endpoint | undefined;
  /** The identity the upstream presented (outbound mTLS). */
  upstreamIdentity?: string | undefined;
  /** Envoy-style response flags: NR no route, UH no healthy upstream, UF connect failure… */
  flags: string;
  requestBytes: number;
  responseBytes: number;
  /** For an HTTP/1.1 Upgrade (WebSocket): the raw connection and bytes read past the head. */
  upgrade?: { readonly socket: Duplex; readonly head: Buffer } | undefined;
  /** gRPC status from the response trailers (or headers, for trailers-only answers). */
  grpcStatus?: string | undefined;
  peers?: Peers | undefined;
  /** The inbound authorization decision (set by the authorize layer). */
  authz?: Decision | undefined;
  /** The route and rule that decided (outbound, set by the routes layer), for the access log. */
  routed?: RoutedBy | undefined;
  /** The rule's forward plan (set by the routes layer): what the layers after it apply. */
  plan?: ForwardPlan | undefined;
  /**
   * The request body as a layer read it, sent instead of req's: whole (a Buffer, so
   * a retry or a mirror can replay it), the part read and then the rest, or streamed
   * with a bounded copy kept for retries (a ReplayableBody: each try reads it anew).
   */
  body?: Buffer | AsyncIterable<Buffer> | ReplayableBody | undefined;
  /** The called (backend) Service's TrafficPolicy state (outbound, set by the policy layer). */
  traffic?: ServiceTraffic | undefined;
  /** What the routes layers ask of the current try upstream; the forwarders honour it. */
  upstreamTry?: UpstreamTry | undefined;
}

export type ForwardPlan = Extract<Plan, { readonly type: 'forward' }>;

export interface RoutedBy {
  /** `namespace/name` of the HTTPRoute or GRPCRoute. */
  readonly route: string;
  /** The rule's name, else its index in spec.rules. */
  readonly rule: string | number;
}

/**
 * One try upstream as the routes layer (layers/routes.ts) shapes it. Absent: the
 * forwarder streams the client's body and writes the answer as it comes.
 */
export interface UpstreamTry {
  /**
   * Aborted to stop the try (a timeout), its reason a WeftError: before the answer's
   * head the forwarder rejects with it; after, the reply is reset with flag UT.
   */
  readonly signal?: TrySignal | undefined;
  /**
   * The answer's head before the client sees it: the headers to send, or undefined
   * to drop this answer (the forwarder cancels it and resolves; the layer retries).
   */
  readonly head?:
    | ((status: number, headers: http.OutgoingHttpHeaders) => http.OutgoingHttpHeaders | undefined)
    | undefined;
}

export type Handler = (ex: Exchange) => Promise<void>;
export type Layer = (next: Handler) => Handler;

/**
 * Host or :authority, whichever the protocol carries; for HTTP/2 `:authority` first,
 * as Node (and so the h2 forwarder) reads it: policy must name what is forwarded.
 */
export function authorityOf(req: ProxyRequest): string {
  const authority = req.headers[':authority'] as string | undefined;
  if (isHttp2Request(req)) return authority ?? req.headers.host ?? '';
  return req.headers.host ?? authority ?? '';
}

/** A fresh exchange for a request on a connection. */
export function newExchange(req: ProxyRequest, res: ProxyResponse, conn: ConnectionInfo): Exchange {
  return {
    req,
    res,
    conn,
    startedAt: process.hrtime.bigint(),
    flags: '-',
    requestBytes: 0,
    responseBytes: 0,
  };
}

// By the server that parsed it, not the version the request line claims: llhttp
// accepts "GET / HTTP/2.0" on an HTTP/1.1 connection, and that request must not be
// forwarded as h2c (found by fuzzing).
export const isHttp2Request = (req: ProxyRequest): req is http2.Http2ServerRequest =>
  req instanceof http2.Http2ServerRequest;

type ReplySocket = Pick<Socket, 'destroyed' | 'once' | 'off'>;

/**
 * Calls `done` once the reply is over: written out ('finish'), closed early
 * ('close'), or the client's connection closed; at once (synchronously) if it
 * already is. The last case matters because a reply queued behind a pipelined one
 * has no socket yet, and Node never closes it when the connection ends (a parse
 * error on a later request, the client leaving): only the connection's own
 * 'close' settles it (found by fuzzing). Synchronous so that a caller can settle
 * before it starts work that would fail on a gone client (the forwarder).
 */
export function onReplyEnd(ex: Exchange, done: () => void): void {
  const socket = ex.req.socket as ReplySocket | undefined;
  if (ex.res.writableFinished || socket?.destroyed) {
    done();
    return;
  }
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    socket?.off('close', once);
    done();
  };
  ex.res.once('finish', once);
  ex.res.once('close', once);
  socket?.once('close', once);
}

/**
 * The reply went out whole: ended by us (writableEnded) and written out
 * (writableFinished). Neither says it alone: on HTTP/1.1 the socket can close after
 * end() and before the last bytes left; on HTTP/2 the compatibility response reads
 * writableFinished from the stream, which the client's RST_STREAM finishes too
 * ('finish' even fires), though end() was never called. Two field reads: it runs
 * per request (telemetry's DC flag).
 */
export function replyComplete(res: ProxyResponse): boolean {
  return res.writableEnded && res.writableFinished;
}

/**
 * The client is gone: its connection closed or, on HTTP/2, its stream (a reset stream
 * leaves the shared session's socket open). Nothing sent now can reach it, so a retry
 * or a late try would only load the upstream (telemetry records DC).
 */
export function clientGone(ex: Exchange): boolean {
  const socket = ex.req.socket as ReplySocket | undefined;
  if (socket?.destroyed) return true;
  if (!isHttp2Request(ex.req)) return false;
  const stream = (ex.res as http2.Http2ServerResponse).stream;
  return stream.destroyed || stream.closed;
}

/**
 * Ends a reply whose head went out but whose body cannot be finished (the upstream
 * failed or timed out), so that the client can tell it from a complete answer, as
 * Envoy does: on HTTP/2 a RST_STREAM INTERNAL_ERROR (closing the stream or the
 * compatibility response would send NO_ERROR, which a client reads as a clean end);
 * on HTTP/1.1 the connection closes before the last chunk or the stated length.
 */
export function resetReply(res: ProxyResponse): void {
  if (res instanceof http2.Http2ServerResponse) {
    if (!res.stream.closed) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  } else res.destroy();
}

/** Resolves once the reply is over (see onReplyEnd): the rescue layer's local replies. */
export function untilReplyEnds(ex: Exchange): Promise<void> {
  return new Promise((resolve) => onReplyEnd(ex, resolve));
}
