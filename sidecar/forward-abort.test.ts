// A body cut short must reach the other side as cut, never as complete, through both
// forwarders and against real servers: a client that leaves mid-body makes the
// upstream request fail (h2: RST_STREAM CANCEL; HTTP/1.1: the upstream connection
// closes before the body's end), and an upstream that fails after the answer's head
// makes the client's reply fail (h2: RST_STREAM INTERNAL_ERROR; HTTP/1.1: the
// connection closes before the last chunk). Node's HTTP/2 compatibility layer ends a
// reset request just as a complete one, which is what these tests guard.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import type { Exchange, ForwardPlan, ProxyRequest, ProxyResponse } from './exchange.js';
import { newExchange } from './exchange.js';
import { forwardHttp2 } from './forward-http2.js';
import { forwardPooled } from './forward-pooled.js';
import { requestBody } from './layers/request-body.js';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;
type Server = http.Server | http2.Http2Server;

const conn = {
  direction: 'outbound' as const,
  destination: { address: '127.0.0.1', port: 0 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};
const port = (s: Server): number => (s.address() as AddressInfo).port;
const listen = async (s: Server): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return port(s);
};
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms).unref(),
    ),
  ]);

/** What the app saw of a request body: all of it ('end', not aborted), or a cut. */
interface Seen {
  body: string;
  complete: boolean;
  /** HTTP/2: the code of the RST_STREAM that ended the request's stream. */
  rstCode?: number;
}

/**
 * The app: /upload reports what it received; /cut sends a head and a chunk, then
 * fails as `cut` says; /hold sends a head and a chunk, then waits for the end.
 */
function app(kind: 'http1' | 'http2', cut: 'reset' | 'drop') {
  let started: () => void = () => undefined;
  let seen: (s: Seen) => void = () => undefined;
  let left: () => void = () => undefined;
  const firstChunk = new Promise<void>((r) => (started = r));
  const upload = new Promise<Seen>((r) => (seen = r));
  const held = new Promise<void>((r) => (left = r));
  const handler = (req: ProxyRequest, res: ProxyResponse): void => {
    if (req.url === '/hold') {
      (res as http.ServerResponse).writeHead(200).write('first');
      res.once('close', left);
      return;
    }
    if (req.url === '/cut') {
      const out = res as http.ServerResponse;
      out.writeHead(200, { 'content-type': 'text/plain' });
      out.write('partial');
      setTimeout(() => {
        if (kind === 'http1') (res as http.ServerResponse).socket?.destroy();
        else if (cut === 'reset') {
          (res as http2.Http2ServerResponse).stream.close(NGHTTP2_INTERNAL_ERROR);
        } else (req as http2.Http2ServerRequest).stream.session?.destroy();
      }, 50);
      return;
    }
    let body = '';
    // Complete: the body's end came before any sign of a cut ('aborted', 'error').
    // (A cut h2 compatibility request may still 'end' afterwards.)
    let complete: boolean | undefined;
    req.on('data', (c: Buffer) => {
      body += c.toString();
      started();
    });
    req.on('end', () => (complete ??= true));
    req.on('aborted', () => (complete ??= false));
    req.on('error', () => (complete ??= false));
    // 'close' comes last on both kinds; a late 'end' of the compatibility request does not count.
    const rst = (): number | undefined =>
      kind === 'http2' ? (req as http2.Http2ServerRequest).stream.rstCode : undefined;
    req.on('close', () =>
      setImmediate(() => seen({ body, complete: complete ?? false, rstCode: rst() })),
    );
  };
  const server: Server =
    kind === 'http1' ? http.createServer(handler) : http2.createServer(handler);
  return { server, firstChunk, upload, held };
}

/** A proxy on one forwarder; `held` sends the body through the request-body layer (4-byte bound). */
async function proxyTo(kind: 'http1' | 'http2', appPort: number, held = false) {
  const origin = `http://127.0.0.1:${appPort}`;
  const pool = kind === 'http1' ? new Pool(origin) : undefined;
  const session = kind === 'http2' ? http2.connect(origin) : undefined;
  session?.on('error', () => undefined);
  const forward = (ex: Exchange): Promise<void> =>
    kind === 'http1' ? forwardPooled(ex, pool!, { host: 'app' }) : forwardHttp2(ex, session!, {});
  const send = held ? requestBody(4)(forward) : forward;
  // The flags of the first exchange, once its forward settled.
  let settled: (flags: string) => void = () => undefined;
  const flags = new Promise<string>((r) => (settled = r));
  const handler = (req: ProxyRequest, res: ProxyResponse): void => {
    const ex = newExchange(req, res, conn);
    if (held) ex.plan = { retry: { codes: [503] }, mirrors: [] } as unknown as ForwardPlan;
    send(ex)
      .catch(() => {
        if (!res.headersSent) res.writeHead(400).end();
      })
      .finally(() => settled(ex.flags));
  };
  const server: Server =
    kind === 'http1' ? http.createServer(handler) : http2.createServer(handler);
  const proxyPort = await listen(server);
  return {
    port: proxyPort,
    flags,
    async close(): Promise<void> {
      session?.destroy();
      await pool?.destroy();
      (server as http.Server).closeAllConnections?.();
      server.close();
    },
  };
}

describe('a client that leaves mid-body: the app never sees the body as complete', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  for (const held of [false, true]) {
    for (const how of ['reset', 'drop'] as const) {
      it(`HTTP/2 client, ${how}${held ? ', body past the held bound' : ''}`, async () => {
        const a = app('http2', 'reset');
        const proxy = await proxyTo('http2', await listen(a.server), held);
        closers.push(
          () => void a.server.close(),
          () => proxy.close(),
        );
        const client = http2.connect(`http://127.0.0.1:${proxy.port}`);
        client.on('error', () => undefined);
        // A reset through the signal: RST_STREAM CANCEL alone. (Node's close(CANCEL)
        // on a stream still sending ends the body first: a complete body, then a reset.)
        const reset = new AbortController();
        const s = client.request(
          { ':method': 'POST', ':path': '/upload' },
          { signal: reset.signal },
        );
        s.on('error', () => undefined);
        s.write('first part, more to come');
        await within(a.firstChunk, 2000, 'the app to get the first chunk');
        if (how === 'reset') reset.abort();
        else client.destroy();
        const seen = await within(a.upload, 2000, 'the app to see the request end');
        client.destroy();
        assert.equal(seen.complete, false, JSON.stringify(seen));
        // Cancelled, not failed: RST_STREAM CANCEL, as Envoy resets an abandoned request.
        assert.equal(seen.rstCode, http2.constants.NGHTTP2_CANCEL, JSON.stringify(seen));
      });
    }
  }

  for (const framing of ['chunked', 'content-length'] as const) {
    it(`HTTP/1.1 client, connection dropped (${framing})`, async () => {
      const a = app('http1', 'reset');
      const proxy = await proxyTo('http1', await listen(a.server));
      closers.push(
        () => void a.server.close(),
        () => proxy.close(),
      );
      const socket = net.connect(proxy.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const part = 'first part, more to come';
      socket.write(
        framing === 'chunked'
          ? `POST /upload HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n${part.length.toString(16)}\r\n${part}\r\n`
          : `POST /upload HTTP/1.1\r\nHost: app\r\nContent-Length: 1000\r\n\r\n${part}`,
      );
      await within(a.firstChunk, 2000, 'the app to get the first chunk');
      socket.destroy();
      const seen = await within(a.upload, 2000, 'the app to see the request end');
      assert.equal(seen.complete, false, JSON.stringify(seen));
    });
  }
});

/** What a client saw of an answer: its status, the body, and whether it ended cleanly. */
interface Got {
  status?: number;
  body: string;
  clean: boolean;
  rstCode?: number;
}

function h2Get(proxyPort: number, path: string): Promise<Got> {
  return new Promise((resolve) => {
    const client = http2.connect(`http://127.0.0.1:${proxyPort}`);
    client.on('error', () => undefined);
    const s = client.request({ ':path': path });
    let status: number | undefined;
    let body = '';
    let ended = false;
    s.on('response', (h) => (status = Number(h[':status'])));
    s.on('data', (c: Buffer) => (body += c.toString()));
    s.on('end', () => (ended = true));
    s.on('error', () => undefined);
    s.on('close', () => {
      client.destroy();
      resolve({ ...(status ? { status } : {}), body, clean: ended, rstCode: s.rstCode });
    });
  });
}

function h1Get(proxyPort: number, path: string): Promise<Got> {
  return new Promise((resolve) => {
    const req = http.get({ port: proxyPort, host: '127.0.0.1', path, agent: false }, (res) => {
      let body = '';
      let clean = false;
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (clean = res.complete));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode!, body, clean }));
    });
    req.on('error', () => resolve({ body: '', clean: false }));
  });
}

describe('an upstream that fails after the head: the client sees a failure, never an end', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  for (const cut of ['reset', 'drop'] as const) {
    it(`HTTP/2: upstream stream ${cut === 'reset' ? 'reset' : 'connection closed'} mid-answer → RST_STREAM INTERNAL_ERROR`, async () => {
      const a = app('http2', cut);
      const proxy = await proxyTo('http2', await listen(a.server));
      closers.push(
        () => void a.server.close(),
        () => proxy.close(),
      );
      const got = await within(h2Get(proxy.port, '/cut'), 3000, 'the answer');
      assert.deepEqual(
        { status: got.status, body: got.body, clean: got.clean, rstCode: got.rstCode },
        { status: 200, body: 'partial', clean: false, rstCode: NGHTTP2_INTERNAL_ERROR },
      );
    });
  }

  it('HTTP/1.1: upstream connection closed mid-answer → the chunked reply is cut', async () => {
    const a = app('http1', 'drop');
    const proxy = await proxyTo('http1', await listen(a.server));
    closers.push(
      () => void a.server.close(),
      () => proxy.close(),
    );
    const got = await within(h1Get(proxy.port, '/cut'), 3000, 'the answer');
    assert.deepEqual(got, { status: 200, body: 'partial', clean: false });
  });
});

describe('a client that leaves mid-answer: the upstream request is stopped, unflagged', () => {
  const closers: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of closers) await c();
  });

  it('HTTP/2 client resets its stream', async () => {
    const a = app('http2', 'reset');
    const proxy = await proxyTo('http2', await listen(a.server));
    closers.push(
      () => void a.server.close(),
      () => proxy.close(),
    );
    const client = http2.connect(`http://127.0.0.1:${proxy.port}`);
    client.on('error', () => undefined);
    const reset = new AbortController();
    const s = client.request({ ':path': '/hold' }, { signal: reset.signal });
    s.on('error', () => undefined);
    await new Promise((r) => s.once('data', r));
    reset.abort();
    await within(a.held, 2000, 'the upstream stream to close');
    client.destroy();
    // The upstream did not fail: no UR (telemetry records DC).
    assert.equal(await within(proxy.flags, 2000, 'the forward to settle'), '-');
  });

  it('HTTP/1.1 client closes its connection', async () => {
    const a = app('http1', 'reset');
    const proxy = await proxyTo('http1', await listen(a.server));
    closers.push(
      () => void a.server.close(),
      () => proxy.close(),
    );
    const req = http.get({ port: proxy.port, host: '127.0.0.1', path: '/hold', agent: false });
    req.on('error', () => undefined);
    const res = await new Promise<http.IncomingMessage>((r) => req.once('response', r));
    await new Promise((r) => res.once('data', r));
    req.destroy();
    await within(a.held, 2000, 'the upstream request to close');
    // The upstream did not fail: its request aborted from this side adds no UR
    // (telemetry records DC).
    assert.equal(await within(proxy.flags, 2000, 'the forward to settle'), '-');
  });
});
