// Raw HTTP/1.1 on loopback for the smuggling fuzz: send bytes, read what comes
// back, and parse requests strictly with a fresh Node server (llhttp, no lenient
// flags), which is what a Node app behind the sidecar would read.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface ParsedRequest {
  readonly method: string;
  readonly url: string;
  /** Node's joined view: what the app reads. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly complete: boolean;
}

export interface StrictParse {
  readonly requests: ParsedRequest[];
  /** llhttp's refusal (HPE_…), if it refused the bytes. */
  error: string | undefined;
}

/** Records every request a strict Node server parses; answers each 200, empty body. */
export function recordingServer(
  maxHeaderSize: number,
  onRequest: (r: ParsedRequest, req: http.IncomingMessage) => void,
  onError: (code: string, socket: net.Socket) => void,
): http.Server {
  const server = http.createServer({ maxHeaderSize, insecureHTTPParser: false, requestTimeout: 0 });
  const record = (req: http.IncomingMessage, done: (r: ParsedRequest) => void): void => {
    const chunks: Buffer[] = [];
    const finish = (complete: boolean): void =>
      done({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks),
        complete,
      });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => finish(true));
    req.on('aborted', () => finish(false));
    req.on('error', () => undefined);
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    let once = false;
    record(req, (r) => {
      if (once) return;
      once = true;
      onRequest(r, req);
      if (r.complete) res.writeHead(200, { 'content-length': '0' }).end();
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    onRequest(
      {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.alloc(0),
        complete: true,
      },
      req,
    );
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('connect', (_req: http.IncomingMessage, socket: net.Socket) => socket.destroy());
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    onError(err.code ?? err.message, socket);
    socket.destroy();
  });
  return server;
}

export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if ('closeAllConnections' in server) (server as http.Server).closeAllConnections();
    // HTTP/2 servers: close() waits for sessions, which the sidecar's pool may keep open.
    setTimeout(() => resolve(), 500).unref();
    server.close(() => resolve());
  });
}

/** The reference reading of `bytes`: a strict server on its own connection, client half-closed. */
export class StrictReference {
  private server: http.Server | undefined;
  private port = 0;
  private current: StrictParse | undefined;

  async open(maxHeaderSize: number): Promise<void> {
    this.server = recordingServer(
      maxHeaderSize,
      (r) => this.current?.requests.push(r),
      (code) => {
        if (this.current && this.current.error === undefined) this.current.error = code;
      },
    );
    this.port = await listen(this.server);
  }

  async parse(bytes: Buffer): Promise<StrictParse> {
    const result: StrictParse = { requests: [], error: undefined };
    this.current = result;
    await exchange(this.port, bytes, { halfClose: true, timeoutMs: 2000 });
    // Let the server's last 'end'/'aborted' events land.
    await new Promise((r) => setImmediate(r));
    this.current = undefined;
    return result;
  }

  async close(): Promise<void> {
    if (this.server) await close(this.server);
  }
}

export interface Exchanged {
  readonly received: Buffer;
  readonly closedByPeer: boolean;
  readonly timedOut: boolean;
}

/**
 * Writes `bytes` on a fresh connection and collects the answer until the peer
 * closes, `enough(received)` says so, or the timeout; then closes its side.
 */
export function exchange(
  port: number,
  bytes: Buffer,
  opts: { halfClose: boolean; timeoutMs: number; enough?: (received: Buffer) => boolean },
): Promise<Exchanged> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (closedByPeer: boolean, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByPeer, timedOut });
    };
    const timer = setTimeout(() => done(false, true), opts.timeoutMs);
    // Enough: close after a short grace, so a request the peer is still starting lands.
    const check = (): void => {
      if (opts.enough?.(Buffer.concat(chunks))) setTimeout(() => done(false, false), 3);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      check();
    });
    socket.on('error', () => done(true, false));
    socket.on('close', () => done(true, false));
    socket.on('end', () => done(true, false));
    socket.write(bytes, () => {
      if (opts.halfClose) socket.end();
      check();
    });
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
}

/** Final responses in a byte stream (1xx skipped); bodies by Content-Length only. */
export function parseResponses(bytes: Buffer, headMethods: readonly boolean[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const lines = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
    if (!Number.isFinite(status)) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    at = end + 4;
    if (status < 200) continue;
    const isHead = headMethods[out.length] ?? false;
    at += isHead ? 0 : Number(headers['content-length'] ?? 0);
    out.push({ status, headers });
  }
  return out;
}
