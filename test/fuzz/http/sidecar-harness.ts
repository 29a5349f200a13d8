// The weft sidecar's inbound HTTP layer, in this process: the HTTP servers the
// listener hands connections to (sidecar/http-servers.ts), the inbound request
// stack (rescue → trace → forward, as sidecar/main.ts assembles it) and its
// upstream pool, in front of a strict recording upstream standing in for the app.
// Each client connection carries a peer identity naming the input, so the
// forwarded requests of one input are told apart by the XFCC header the sidecar
// adds (and any XFCC a client sent is replaced).
import type http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { limitLogger } from '../../../src/log-limit.js';
import { createLogger } from '../../../src/log.js';
import { setConnection } from '../../../sidecar/connection.js';
import { Credentials } from '../../../sidecar/credentials.js';
import type { Handler, Layer } from '../../../sidecar/exchange.js';
import { createHttpServers } from '../../../sidecar/http-servers.js';
import type { HttpServers } from '../../../sidecar/http-servers.js';
import { forwardInbound } from '../../../sidecar/layers/forward.js';
import { rescue } from '../../../sidecar/layers/rescue.js';
import { trace } from '../../../sidecar/layers/trace.js';
import { compose } from '../../../sidecar/stacks.js';
import { UpstreamPool } from '../../../sidecar/upstream-pool.js';
import type { ParsedRequest } from './wire.js';
import { close, listen, recordingServer } from './wire.js';

export const MAX_HEADER_BYTES = 16 * 1024;
const SELF = 'spiffe://cluster.local/ns/fuzz/sa/sidecar';
export const peerFor = (input: number): string =>
  `spiffe://cluster.local/ns/fuzz/sa/input-${input}`;
export const xfccFor = (input: number): string => `By=${SELF};URI=${peerFor(input)}`;

/** What an HTTP/2 app received on one stream. */
export interface ForwardedH2 {
  readonly pseudo: Record<string, string>;
  readonly headers: Record<string, string | string[]>;
}

/**
 * Each field as it arrived, from Node's flat raw list: its header object joins
 * repeats, and a join with an empty value reads as one value ending in white space.
 */
function fieldsOf(raw: readonly string[]): ForwardedH2 {
  const pseudo: Record<string, string> = {};
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const [k, v] = [raw[i]!, raw[i + 1]!];
    if (k.startsWith(':')) pseudo[k] = v;
    else headers[k] = Object.hasOwn(headers, k) ? [headers[k]!, v].flat() : v;
  }
  return { pseudo, headers };
}

export class SidecarUnderTest {
  /** Requests the app received, by the XFCC value naming their input. */
  readonly forwarded = new Map<string, ParsedRequest[]>();
  /** llhttp refusals at the app: bytes the sidecar forwarded that a strict parser rejects. */
  readonly upstreamErrors: string[] = [];
  /** Streams the HTTP/2 app received, by the XFCC value naming their input. */
  readonly forwardedH2 = new Map<string, ForwardedH2[]>();
  /** Requests inside the sidecar's stack right now, by the peer identity naming their input. */
  readonly inflight = new Map<string, number>();
  port = 0;
  /** Where HTTP/2 (h2c) connections go: the sidecar's HTTP/2 server, then an h2c app. */
  h2Port = 0;
  private upstream: http.Server | undefined;
  private upstreamH2: http2.Http2Server | undefined;
  private front: net.Server | undefined;
  private frontH2: net.Server | undefined;
  private servers: HttpServers | undefined;
  private pool: UpstreamPool | undefined;
  private input = 0;

  async open(): Promise<void> {
    this.upstream = recordingServer(
      64 * 1024,
      (r) => {
        const key = String(r.headers['x-forwarded-client-cert'] ?? '');
        this.forwarded.set(key, [...(this.forwarded.get(key) ?? []), r]);
      },
      (code) => this.upstreamErrors.push(code),
    );
    const upstreamPort = await listen(this.upstream);
    const log = limitLogger(createLogger({}, 'error', () => undefined));
    this.pool = new UpstreamPool(new Credentials());
    const counting: Layer = (next) => async (ex) => {
      const key = ex.conn.peerIdentity ?? '';
      this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
      try {
        await next(ex);
      } finally {
        const left = (this.inflight.get(key) ?? 1) - 1;
        if (left) this.inflight.set(key, left);
        else this.inflight.delete(key);
      }
    };
    const request: Handler = compose([
      counting,
      rescue(log),
      trace,
      forwardInbound(this.pool, () => SELF),
    ]);
    const upgrade: Handler = compose([
      counting,
      rescue(log),
      forwardInbound(this.pool, () => SELF),
    ]);
    this.servers = createHttpServers(
      { request, upgrade, refused: () => undefined, peerLog: log },
      { maxHeaderBytes: MAX_HEADER_BYTES, idleTimeoutMs: 5000, headersTimeoutMs: 10_000 },
    );
    this.front = this.frontFor(this.servers.h1, upstreamPort);
    this.port = await listen(this.front);
    this.upstreamH2 = http2.createServer();
    type Stream = http2.ServerHttp2Stream;
    const record = (
      stream: Stream,
      h: http2.IncomingHttpHeaders,
      _f: number,
      raw: string[],
    ): void => {
      const key = String(h['x-forwarded-client-cert'] ?? '');
      this.forwardedH2.set(key, [...(this.forwardedH2.get(key) ?? []), fieldsOf(raw)]);
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200 }, { endStream: true });
    };
    this.upstreamH2.on('stream', record);
    const upstreamH2Port = await listen(this.upstreamH2);
    this.frontH2 = this.frontFor(this.servers.h2, upstreamH2Port);
    this.h2Port = await listen(this.frontH2);
  }

  /** What sidecar/inbound.ts does with a classified plaintext connection. */
  private frontFor(server: net.Server, upstreamPort: number): net.Server {
    return net.createServer({ noDelay: true }, (socket) => {
      socket.on('error', () => undefined);
      setConnection(socket, {
        direction: 'inbound',
        destination: { address: '127.0.0.1', port: upstreamPort },
        remoteAddress: socket.remoteAddress ?? '',
        peerIdentity: peerFor(this.input),
        mtls: true,
      });
      server.emit('connection', socket);
      socket.resume();
    });
  }

  /** Waits (bounded) until no request of this input is inside the sidecar; returns how many are. */
  async settle(input: number, ms = 2000): Promise<number> {
    const key = peerFor(input);
    for (const until = Date.now() + ms; this.inflight.has(key) && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    return this.inflight.get(key) ?? 0;
  }

  /** Starts a new input: connections accepted from now on carry its identity. */
  next(): number {
    return ++this.input;
  }

  async close(): Promise<void> {
    this.servers?.h1.closeAllConnections();
    for (const session of this.servers?.h2Sessions ?? []) session.destroy();
    this.pool?.close();
    for (const server of [this.front, this.frontH2, this.upstream, this.upstreamH2]) {
      if (server) await close(server);
    }
  }
}
