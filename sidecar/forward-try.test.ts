// The per-try contract the routes layers rely on, against real servers on both
// forwarders: an answer refused at its head never reaches the client, an aborted
// try rejects with the reason before the head and resets the reply after it, and
// a body the layer holds is sent in place of the client's.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Exchange, UpstreamTry } from './exchange.js';
import { newExchange } from './exchange.js';
import { forwardHttp2 } from './forward-http2.js';
import { forwardPooled } from './forward-pooled.js';

const conn = {
  direction: 'outbound' as const,
  destination: { address: '127.0.0.1', port: 0 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};
const port = (s: http.Server | http2.Http2Server): number => (s.address() as AddressInfo).port;
const listen = (s: http.Server | http2.Http2Server): Promise<void> =>
  new Promise((r) => s.listen(0, '127.0.0.1', r));

/**
 * The app: /503 answers 503, /stall (and /delayed-stall) sends its head then nothing,
 * /slow answers after 2 s, /reset (and /delayed-reset) sends its head and a chunk then
 * fails (h2: RST_STREAM INTERNAL_ERROR; HTTP/1.1: the connection closes), else echoes the body.
 */
function appHandler(
  req: http.IncomingMessage | http2.Http2ServerRequest,
  answer: http.ServerResponse | http2.Http2ServerResponse,
): void {
  const res = answer as http.ServerResponse;
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (req.url === '/503') return void res.writeHead(503).end('unavailable');
    if (req.url?.endsWith('stall')) return void res.writeHead(200).write('partial');
    if (req.url?.endsWith('reset')) {
      res.writeHead(200).write('partial');
      setTimeout(() => {
        if (answer instanceof http2.Http2ServerResponse) {
          answer.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        } else res.socket?.destroy();
      }, 50);
      return;
    }
    const reply = (): void => void res.writeHead(200).end(`echo:${body}`);
    if (req.url === '/slow') setTimeout(reply, 2000);
    else reply();
  });
}

interface Outcome {
  status?: number;
  body: string;
  error?: string;
}

type Forward = (ex: Exchange) => Promise<void>;

/** A proxy that sets `shape` on each exchange, forwards, and answers 299 `local` when nothing was sent. */
function proxyHandler(forward: Forward, shape: (ex: Exchange) => void, results: unknown[]) {
  return (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ): void => {
    const ex = newExchange(req, res, conn);
    shape(ex);
    forward(ex).then(
      () => {
        results.push({ settled: 'resolved', flags: ex.flags });
        if (!res.headersSent) res.writeHead(299).end('local');
      },
      (err: Error) => {
        results.push({ settled: 'rejected', code: (err as WeftError).code });
        if (!res.headersSent) res.writeHead(298).end('rejected');
      },
    );
  };
}

const abortAfter = (ms: number): AbortSignal => {
  const c = new AbortController();
  setTimeout(
    () => c.abort(new WeftError(ErrorCode.UpstreamTimeout, 'upstream request timeout')),
    ms,
  );
  return c.signal;
};

function shapes(path: string): (ex: Exchange) => void {
  return (ex) => {
    const t: Record<string, UpstreamTry> = {
      '/503': { head: (status, h) => (status === 503 ? undefined : h) },
      '/slow': { signal: abortAfter(100) },
      '/stall': { signal: abortAfter(200) },
      '/delayed-stall': { signal: abortAfter(200) },
      '/reset': { signal: abortAfter(2000) },
      '/delayed-reset': { signal: abortAfter(2000) },
      '/body': {},
    };
    ex.upstreamTry = t[path];
    // As the fault layer leaves an exchange it delayed (flag DI) before the forward.
    if (path.startsWith('/delayed')) ex.flags = 'DI';
    if (path === '/body') ex.body = Buffer.from('held');
  };
}

function h1Get(url: string, body?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: body ? 'POST' : 'GET', agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
      res.on('error', (e) => resolve({ status: res.statusCode, body: text, error: e.message }));
    });
    req.on('error', (e) => resolve({ body: '', error: e.message }));
    req.end(body);
  });
}

function h2Get(url: string, path: string, body?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = http2.connect(url);
    client.on('error', () => undefined);
    const s = client.request({ ':path': path, ':method': body ? 'POST' : 'GET' });
    let status: number | undefined;
    let text = '';
    s.on('response', (h) => (status = Number(h[':status'])));
    s.on('data', (c: Buffer) => (text += c.toString()));
    const done = (error?: string): void => {
      client.close();
      resolve({
        ...(status === undefined ? {} : { status }),
        body: text,
        ...(error ? { error } : {}),
      });
    };
    s.on('end', () => done());
    s.on('error', (e: Error) => done(e.message));
    s.on('close', () => done(s.rstCode ? `reset ${s.rstCode}` : undefined));
    s.end(body);
  });
}

for (const kind of ['http1', 'http2'] as const) {
  describe(`${kind} forwarder honours the routes layer's try`, () => {
    const results: unknown[] = [];
    let app: http.Server | http2.Http2Server;
    let proxy: http.Server | http2.Http2Server;
    let pool: Pool | undefined;
    let session: http2.ClientHttp2Session | undefined;
    let base = '';
    const call = (path: string, body?: string): Promise<Outcome> =>
      kind === 'http1' ? h1Get(`${base}${path}`, body) : h2Get(base, path, body);

    before(async () => {
      app = kind === 'http1' ? http.createServer(appHandler) : http2.createServer(appHandler);
      await listen(app);
      const forward: Forward =
        kind === 'http1'
          ? (ex) => forwardPooled(ex, pool!, { host: 'app' })
          : (ex) => forwardHttp2(ex, session!, {});
      if (kind === 'http1') pool = new Pool(`http://127.0.0.1:${port(app)}`);
      else session = http2.connect(`http://127.0.0.1:${port(app)}`);
      const handler = (
        req: http.IncomingMessage | http2.Http2ServerRequest,
        res: http.ServerResponse | http2.Http2ServerResponse,
      ): void => proxyHandler(forward, shapes(req.url ?? ''), results)(req, res);
      proxy = kind === 'http1' ? http.createServer(handler) : http2.createServer(handler);
      await listen(proxy);
      base = `http://127.0.0.1:${port(proxy)}`;
    });
    after(async () => {
      session?.destroy();
      await pool?.destroy();
      (app as http.Server).closeAllConnections?.();
      (proxy as http.Server).closeAllConnections?.();
      app.close();
      proxy.close();
    });

    it('drops an answer refused at its head: nothing of it reaches the client', async () => {
      results.length = 0;
      const r = await call('/503');
      assert.deepEqual([r.status, r.body], [299, 'local']);
      assert.deepEqual(results, [{ settled: 'resolved', flags: '-' }]);
    });

    it('rejects with the abort reason when the try is stopped before the head', async () => {
      results.length = 0;
      const started = Date.now();
      const r = await call('/slow');
      assert.equal(r.status, 298);
      assert.deepEqual(results, [{ settled: 'rejected', code: 'upstream_timeout' }]);
      assert.ok(Date.now() - started < 1500);
    });

    it('resets the reply with flag UT when the try is stopped after the head', async () => {
      results.length = 0;
      const r = await call('/stall');
      assert.equal(r.status, 200);
      assert.ok(r.error, JSON.stringify(r));
      assert.deepEqual(results, [{ settled: 'resolved', flags: 'UT' }]);
    });

    // Flags join, in Envoy's order (the flag bits: UT, UR before DI), and the timeout's own abort of the upstream request,
    // which surfaces as an upstream error, adds no UR to it.
    it('keeps a flag set before the forward: a delay, then a timeout after the head → UT,DI', async () => {
      results.length = 0;
      const r = await call('/delayed-stall');
      assert.equal(r.status, 200);
      assert.ok(r.error, JSON.stringify(r));
      assert.deepEqual(results, [{ settled: 'resolved', flags: 'UT,DI' }]);
    });

    it('resets the reply with flag UR when the upstream fails after the head', async () => {
      results.length = 0;
      const r = await call('/reset');
      assert.equal(r.status, 200);
      assert.ok(r.error, JSON.stringify(r));
      assert.deepEqual(results, [{ settled: 'resolved', flags: 'UR' }]);
    });

    it('keeps a flag set before the forward: a delay, then an upstream reset → UR,DI', async () => {
      results.length = 0;
      const r = await call('/delayed-reset');
      assert.equal(r.status, 200);
      assert.ok(r.error, JSON.stringify(r));
      assert.deepEqual(results, [{ settled: 'resolved', flags: 'UR,DI' }]);
    });

    it("sends the body the layer holds in place of the client's", async () => {
      const r = await call('/body', 'from-client');
      assert.deepEqual([r.status, r.body], [200, 'echo:held']);
    });
  });
}

describe('http2 forwarder and a client that left', () => {
  it('settles at once, sending nothing upstream, when the client stream reset before the try', async () => {
    let appCalls = 0;
    const app = http2.createServer((_req, res) => {
      appCalls++;
      res.writeHead(200).end('late');
    });
    await listen(app);
    const session = http2.connect(`http://127.0.0.1:${port(app)}`);
    const settled = new Promise<string>((resolve) => {
      const proxy = http2.createServer((req, res) => {
        // As a retry's back-off or a body read would: the try starts after the client left.
        res.stream.once('close', () => {
          const ex = newExchange(req, res, conn);
          const timer = setTimeout(() => resolve('never settled'), 1000);
          void forwardHttp2(ex, session, {}).then(() => {
            clearTimeout(timer);
            resolve('settled');
          });
        });
      });
      void listen(proxy).then(() => {
        const client = http2.connect(`http://127.0.0.1:${port(proxy)}`);
        client.on('error', () => undefined);
        const s = client.request({ ':path': '/', ':method': 'POST' });
        s.on('error', () => undefined);
        s.write('part');
        setTimeout(() => {
          s.close(0x8);
          setTimeout(() => {
            client.close();
            proxy.close();
          }, 200);
        }, 50);
      });
    });
    assert.equal(await settled, 'settled');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(appCalls, 0, 'nothing reached the app');
    session.destroy();
    app.close();
  });
});
