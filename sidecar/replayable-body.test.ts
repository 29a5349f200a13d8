// The TrafficPolicy's retries of requests with a body, through the outbound layers
// (policy, request body, retry) and the real forwarders, against real servers on
// both protocols: the first try streams the body while a copy is kept, a retry sends
// the copy and then the rest, a body over the bound is streamed once and never
// retried, a streaming call flows, and each client byte is counted once.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import { limitLogger } from '../src/log-limit.js';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import type { ConnectionInfo, Exchange, Layer } from './exchange.js';
import { newExchange } from './exchange.js';
import { forwardHttp2 } from './forward-http2.js';
import { forwardPooled } from './forward-pooled.js';
import { trafficPolicy } from './layers/policy.js';
import { MAX_REPLAY_BYTES, requestBody } from './layers/request-body.js';
import { rescue } from './layers/rescue.js';
import { retry } from './layers/retry.js';
import { route } from './layers/route.js';
import { routes } from './layers/routes.js';
import { timeout } from './layers/timeout.js';
import { compose } from './stacks.js';
import { TrafficStates } from './traffic-state.js';

type Kind = 'http1' | 'http2';
type Server = http.Server | http2.Http2Server;
type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

const log = limitLogger(createLogger({}, 'error', () => undefined));
const conn: ConnectionInfo = {
  direction: 'outbound',
  destination: { address: '203.0.113.9', port: 80 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};
const servers: Server[] = [];
const closers: (() => unknown)[] = [];
after(async () => {
  for (const close of closers) await close();
  for (const s of servers) {
    (s as http.Server).closeAllConnections?.();
    s.close();
  }
});

async function listen(kind: Kind, handler: (req: Req, res: Res) => void): Promise<number> {
  const s: Server = kind === 'http1' ? http.createServer(handler) : http2.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

function meshWith(retries?: Record<string, unknown>): MeshIndex {
  return compileMesh(
    MeshConfigSchema.parse({
      services: [
        {
          name: 'cart',
          namespace: 'shop',
          addresses: ['203.0.113.9'],
          ports: [{ port: 80, name: 'http' }],
          endpoints: [
            { address: '198.51.100.1', identity: 'spiffe://cluster.local/ns/shop/sa/cart' },
          ],
        },
      ],
      trafficPolicies: retries
        ? [
            {
              namespace: 'shop',
              name: 'cart',
              creationTimestamp: '2026-01-01T00:00:00Z',
              spec: { targetRefs: [{ group: '', kind: 'Service', name: 'cart' }], retries },
            },
          ]
        : [],
    }),
    'shop',
  );
}

/** What one app (one upstream) received: the body of each request, and when it ended. */
interface Received {
  bodies: string[];
  /** Requests whose body ended as complete ('end' on a request not aborted). */
  complete: number;
}

/**
 * An app that answers with `answer` once it has read `when` of the body ('head':
 * the first chunk, 'end': all of it); `reset` fails the request instead (h2:
 * RST_STREAM INTERNAL_ERROR; HTTP/1.1: the connection closes).
 */
async function app(
  kind: Kind,
  answer: number | 'echo' | 'reset',
  when: 'head' | 'end' = 'end',
): Promise<{ port: number; got: Received }> {
  const got: Received = { bodies: [], complete: 0 };
  const port = await listen(kind, (req, res) => {
    const chunks: Buffer[] = [];
    const index = got.bodies.push('') - 1;
    const reply = (): void => {
      if (answer === 'reset') {
        if (res instanceof http2.Http2ServerResponse) {
          res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        } else res.socket?.destroy();
      } else if (answer !== 'echo') (res as http.ServerResponse).writeHead(answer).end('down');
      // A first message with the head: a proxy may hold a head back until body follows.
      else if (!res.headersSent) (res as http.ServerResponse).writeHead(200).write('ready,');
    };
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      got.bodies[index] = Buffer.concat(chunks).toString();
      if (when === 'head' && chunks.length === 1) reply();
    });
    req.on('end', () => {
      if (!req.aborted) got.complete++;
      if (when === 'end') reply();
      if (answer === 'echo') (res as http.ServerResponse).end('echo');
    });
  });
  return { port, got };
}

/** balance + forward, as the tests need them: try n goes to the nth app (the last one after). */
function forwardTo(kind: Kind, ports: number[]): Layer {
  let tries = 0;
  const origins = ports.map((p) => `http://127.0.0.1:${p}`);
  const pools = kind === 'http1' ? origins.map((o) => new Pool(o)) : [];
  const sessions = kind === 'http2' ? origins.map((o) => http2.connect(o)) : [];
  for (const s of sessions) s.on('error', () => undefined);
  closers.push(() => Promise.all(pools.map((p) => p.destroy())));
  closers.push(() => sessions.forEach((s) => s.destroy()));
  return () => (ex) => {
    const i = Math.min(tries++, ports.length - 1);
    return kind === 'http1'
      ? forwardPooled(ex, pools[i]!, { host: 'cart' })
      : forwardHttp2(ex, sessions[i]!, {});
  };
}

/** The sidecar's outbound stack down to the try (as proxy.ts composes it), on a real server. */
async function proxy(
  kind: Kind,
  mesh: MeshIndex,
  ports: number[],
): Promise<{ port: number; exchanges: Exchange[] }> {
  const states = new TrafficStates(log);
  closers.push(() => states.stop());
  const handler = compose([
    rescue(log),
    route(() => mesh),
    routes(() => mesh),
    trafficPolicy(states, () => mesh),
    requestBody(),
    timeout,
    retry(
      () => 0.5,
      () => Promise.resolve(),
    ),
    forwardTo(kind, ports),
  ]);
  const exchanges: Exchange[] = [];
  const port = await listen(kind, (req, res) => {
    const ex = newExchange(req, res, conn);
    exchanges.push(ex);
    void handler(ex);
  });
  return { port, exchanges };
}

interface Reply {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * A client request: each chunk is written once the previous one is (or, with
 * `afterHead`, the chunks after the first once the answer's head came back).
 */
function send(
  kind: Kind,
  port: number,
  chunks: Buffer[],
  o: { afterHead?: boolean; gapMs?: number; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let headed: () => void = () => undefined;
    const head = new Promise<void>((r) => (headed = r));
    const collect = (
      status: number,
      headers: Record<string, unknown>,
      from: NodeJS.ReadableStream,
    ) => {
      headed();
      let body = '';
      from.on('data', (c: Buffer) => (body += c.toString()));
      from.on('end', () => resolve({ status, headers, body }));
      from.on('error', reject);
    };
    let out: NodeJS.WritableStream;
    if (kind === 'http1') {
      const req = http.request(
        { port, host: '127.0.0.1', method: 'POST', agent: false, headers: o.headers },
        (res) => collect(res.statusCode ?? 0, res.headers, res),
      );
      req.on('error', reject);
      out = req;
    } else {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      closers.push(() => session.destroy());
      const stream = session.request({ ':method': 'POST', ':path': '/', ...o.headers });
      stream.on('response', (h) => collect(Number(h[':status']), h, stream));
      stream.on('error', reject);
      out = stream;
    }
    void (async () => {
      for (const [i, chunk] of chunks.entries()) {
        if (i === 1 && o.afterHead) await head;
        if (i > 0 && o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
        out.write(chunk);
      }
      out.end();
    })();
  });
}

/** A client that sends `chunk`, then leaves once the upstream had time to get it. */
async function leaveMidBody(kind: Kind, port: number, chunk: Buffer): Promise<void> {
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
  if (kind === 'http1') {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', agent: false });
    req.on('error', () => undefined);
    req.write(chunk);
    await pause();
    req.destroy();
    return;
  }
  const session = http2.connect(`http://127.0.0.1:${port}`);
  closers.push(() => session.destroy());
  // RST_STREAM CANCEL alone: close() on a stream still sending would end its body first.
  const abort = new AbortController();
  const stream = session.request({ ':method': 'POST', ':path': '/' }, { signal: abort.signal });
  stream.on('error', () => undefined);
  stream.write(chunk);
  await pause();
  abort.abort();
}

const bytes = (text: string): Buffer => Buffer.from(text);
const total = (chunks: Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

for (const kind of ['http1', 'http2'] as const) {
  describe(`policy retries of a request with a body (${kind})`, { timeout: 10_000 }, () => {
    it('sends the identical body to the next upstream after a 503', async () => {
      const first = await app(kind, 503);
      const second = await app(kind, 'echo');
      const p = await proxy(kind, meshWith(), [first.port, second.port]);
      const chunks = [bytes('hello '), bytes('body')];
      const reply = await send(kind, p.port, chunks, { gapMs: 10 });
      assert.equal(reply.status, 200);
      assert.deepEqual(first.got.bodies, ['hello body']);
      assert.deepEqual(second.got.bodies, ['hello body']);
      assert.equal(p.exchanges[0]?.requestBytes, total(chunks));
    });

    it('retries a reset upstream when retryOn lists reset, the same body again', async () => {
      const first = await app(kind, 'reset');
      const second = await app(kind, 'echo');
      const p = await proxy(kind, meshWith({ attempts: 2, retryOn: 'reset' }), [
        first.port,
        second.port,
      ]);
      const body = bytes('x'.repeat(1000));
      const reply = await send(kind, p.port, [body]);
      assert.equal(reply.status, 200);
      assert.deepEqual(second.got.bodies, [body.toString()]);
      assert.equal(p.exchanges[0]?.requestBytes, body.length);
    });

    it('keeps a pull that the abandoned try left pending for the next try', async () => {
      // The first app answers 503 on the first chunk, while the client still sends:
      // the first try is dropped with a read of the client's next chunk under way.
      const first = await app(kind, 503, 'head');
      const second = await app(kind, 'echo');
      const p = await proxy(kind, meshWith(), [first.port, second.port]);
      const chunks = [bytes('one,'), bytes('two,'), bytes('three')];
      const reply = await send(kind, p.port, chunks, { gapMs: 50 });
      assert.equal(reply.status, 200);
      assert.equal(second.got.bodies[0], 'one,two,three');
      assert.equal(p.exchanges[0]?.requestBytes, total(chunks));
    });

    it('streams a body over the bound once and does not retry it', async () => {
      const first = await app(kind, 'reset');
      const second = await app(kind, 'echo');
      const p = await proxy(kind, meshWith({ attempts: 2, retryOn: 'reset,503' }), [
        first.port,
        second.port,
      ]);
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const chunks = Array.from({ length: 5 }, () => chunk);
      assert.ok(total(chunks) > MAX_REPLAY_BYTES);
      const reply = await send(kind, p.port, chunks);
      assert.equal(reply.status, 503);
      assert.equal(first.got.bodies[0]?.length, total(chunks));
      assert.deepEqual(second.got.bodies, []);
      assert.equal(p.exchanges[0]?.requestBytes, total(chunks));
      // A reset before the head, on either protocol: UR, never a failed connect.
      assert.equal(p.exchanges[0]?.flags, 'UR');
    });

    it('cuts the upstream body when the client leaves mid-body, never ends it as whole', async () => {
      const upstream = await app(kind, 'echo');
      const p = await proxy(kind, meshWith(), [upstream.port]);
      const left = leaveMidBody(kind, p.port, bytes('part'));
      await left;
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(upstream.got.bodies[0], 'part');
      assert.equal(upstream.got.complete, 0);
      assert.equal(p.exchanges[0]?.requestBytes, 4);
    });

    it('lets a streaming call flow: the first chunk goes up before the client ends', async () => {
      // The app answers its head on the first chunk; the client sends the second
      // only once that head came back. Reading the body before forwarding deadlocks.
      const upstream = await app(kind, 'echo', 'head');
      const p = await proxy(kind, meshWith(), [upstream.port]);
      const chunks = [bytes('ping,'), bytes('pong')];
      const reply = await send(kind, p.port, chunks, { afterHead: true });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'ready,echo');
      assert.deepEqual(upstream.got.bodies, ['ping,pong']);
      assert.equal(p.exchanges[0]?.requestBytes, total(chunks));
    });
  });
}

describe('policy retries of a gRPC call', { timeout: 10_000 }, () => {
  it('retries a call answered UNAVAILABLE, its body sent again whole', async () => {
    let calls = 0;
    const bodies: string[] = [];
    const port = await listen('http2', (req, res) => {
      const h2 = res as http2.Http2ServerResponse;
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('hex')));
      req.on('end', () => {
        bodies.push(body);
        // grpc-status in the head, as a gRPC server answers a failure (trailers-only).
        if (calls++ === 0) return void h2.writeHead(200, { 'grpc-status': '14' }).end();
        h2.writeHead(200, { 'content-type': 'application/grpc' });
        h2.addTrailers({ 'grpc-status': '0' });
        h2.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    const p = await proxy('http2', meshWith(), [port]);
    // A length-prefixed gRPC message: not compressed, 3 bytes.
    const message = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);
    const reply = await send('http2', p.port, [message], {
      headers: { 'content-type': 'application/grpc', te: 'trailers' },
    });
    assert.equal(reply.status, 200);
    assert.notEqual(reply.headers['grpc-status'], '14');
    assert.deepEqual(bodies, [message.toString('hex'), message.toString('hex')]);
    assert.equal(p.exchanges[0]?.requestBytes, message.length);
    assert.equal(p.exchanges[0]?.grpcStatus, '0');
  });
});

describe('HTTP/2 resets under the default policy retries', { timeout: 10_000 }, () => {
  // Istio's default retries a failed connect and a refused stream, never a reset: a
  // reset request may have been acted on. REFUSED_STREAM says it was not.
  async function resetting(code: number): Promise<{ port: number; got: string[] }> {
    const got: string[] = [];
    const port = await listen('http2', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push(body);
        (res as http2.Http2ServerResponse).stream.close(code);
      });
    });
    return { port, got };
  }

  it('does not replay a request whose stream the upstream reset', async () => {
    const first = await resetting(http2.constants.NGHTTP2_INTERNAL_ERROR);
    const second = await app('http2', 'echo');
    const p = await proxy('http2', meshWith(), [first.port, second.port]);
    const reply = await send('http2', p.port, [bytes('order=1')]);
    assert.equal(reply.status, 503);
    assert.deepEqual(first.got, ['order=1']);
    assert.deepEqual(second.got.bodies, []);
    assert.equal(p.exchanges[0]?.flags, 'UR');
  });

  it('tries again a request whose stream the upstream refused, its body whole', async () => {
    const first = await resetting(http2.constants.NGHTTP2_REFUSED_STREAM);
    const second = await app('http2', 'echo');
    const p = await proxy('http2', meshWith(), [first.port, second.port]);
    const reply = await send('http2', p.port, [bytes('order=2')]);
    assert.equal(reply.status, 200);
    assert.deepEqual(second.got.bodies, ['order=2']);
  });
});
