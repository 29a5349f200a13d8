// forwardHttp2 between a real HTTP/2 client and a real HTTP/2 app: a field sent
// twice, once empty, crosses each way (request, response, trailers) as the two
// fields it was, not as Node's join ("b, "), which HTTP/2 forbids and drops.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newExchange } from './exchange.js';
import { forwardHttp2 } from './forward-http2.js';

const listen = async (server: http2.Http2Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/** Only the fields named `x-…` and `cookie`, as name/value pairs in order. */
const pairs = (raw: readonly string[]): string[][] => {
  const out: string[][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (/^(x-|cookie$)/.test(raw[i]!)) out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
};

describe('forwardHttp2 keeps repeated fields as sent', () => {
  const app = http2.createServer();
  const proxy = http2.createServer();
  let upstream: http2.ClientHttp2Session;
  let proxyUrl = '';
  let appRaw: string[] = [];

  before(async () => {
    app.on('request', (req, res) => {
      appRaw = req.rawHeaders;
      res.writeHead(200, { 'x-r': ['1', ''], 'x-layer': 'kept' });
      res.addTrailers({ 'x-t': ['', 'q'] });
      res.end('ok');
    });
    upstream = http2.connect(await listen(app));
    proxy.on('request', (req, res) => {
      const conn = {
        direction: 'inbound' as const,
        destination: { address: '127.0.0.1', port: 0 },
        remoteAddress: '127.0.0.1',
        mtls: false,
      };
      // A layer's own value (trace, XFCC) replaces what the client sent.
      req.headers['x-set'] = 'by-layer';
      void forwardHttp2(newExchange(req, res, conn), upstream, { 'x-extra': 'e' });
    });
    proxyUrl = await listen(proxy);
  });
  after(() => {
    upstream.close();
    app.close();
    proxy.close();
  });

  it('request, response and trailers each carry both fields, the empty one included', async () => {
    const client = http2.connect(proxyUrl);
    try {
      const stream = client.request({
        ':path': '/x',
        'x-a': ['b', ''],
        cookie: ['a=1', 'b=2'],
        'x-set': ['one', 'two'],
      });
      const [responseRaw, trailersRaw] = await new Promise<[string[], string[]]>((resolve) => {
        let head: string[] = [];
        stream.on('response', (_h: unknown, _f: number, raw: string[]) => (head = raw));
        stream.on('trailers', (_h: unknown, _f: number, raw: string[]) => resolve([head, raw]));
        stream.resume();
      });
      assert.deepEqual(pairs(appRaw), [
        ['x-a', 'b'],
        ['x-a', ''],
        ['cookie', 'a=1'],
        ['cookie', 'b=2'],
        ['x-set', 'by-layer'],
        ['x-extra', 'e'],
      ]);
      assert.deepEqual(pairs(responseRaw), [
        ['x-r', '1'],
        ['x-r', ''],
        ['x-layer', 'kept'],
      ]);
      assert.deepEqual(pairs(trailersRaw), [
        ['x-t', ''],
        ['x-t', 'q'],
      ]);
    } finally {
      client.close();
    }
  });
});

// Whether the request has a body is the client's to say (END_STREAM on its HEADERS),
// not the method's: Node's `session.request()` ends a GET or HEAD at once unless told
// otherwise, and the body a client sent with one was then written after that end.
describe('forwardHttp2 forwards a body whatever the method', () => {
  const app = http2.createServer();
  const proxy = http2.createServer();
  let upstream: http2.ClientHttp2Session;
  let proxyUrl = '';

  before(async () => {
    app.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        const body = `${headers[':method']} ${Buffer.concat(chunks).toString()}`;
        // /big: an answer far over the stream's flow-control window, so the
        // forwarder's writes towards the client meet backpressure.
        stream.end(headers[':path'] === '/big' ? body.repeat(50_000) : body);
      });
    });
    upstream = http2.connect(await listen(app));
    proxy.on('request', (req, res) => {
      const conn = {
        direction: 'inbound' as const,
        destination: { address: '127.0.0.1', port: 0 },
        remoteAddress: '127.0.0.1',
        mtls: false,
      };
      void forwardHttp2(newExchange(req, res, conn), upstream, {});
    });
    proxyUrl = await listen(proxy);
  });
  after(() => {
    upstream.close();
    app.close();
    proxy.close();
  });

  const call = async (
    method: string,
    body: string | undefined,
    path = '/b',
  ): Promise<{ status: number; body: string; grpc: unknown }> => {
    const client = http2.connect(proxyUrl);
    try {
      const stream = client.request(
        { ':method': method, ':path': path },
        { endStream: body === undefined },
      );
      if (body !== undefined) stream.end(body);
      return await new Promise((resolve, reject) => {
        let status = 0;
        let text = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('trailers', (t) => resolve({ status, body: text, grpc: t['grpc-status'] }));
        stream.on('error', reject);
      });
    } finally {
      client.close();
    }
  };

  it('a GET with a body reaches the app with its body', async () => {
    assert.deepEqual(await call('GET', 'hello'), { status: 200, body: 'GET hello', grpc: '0' });
  });

  it('a POST without a body, and a GET without one, reach the app empty', async () => {
    assert.deepEqual(await call('POST', undefined), { status: 200, body: 'POST ', grpc: '0' });
    assert.deepEqual(await call('GET', undefined), { status: 200, body: 'GET ', grpc: '0' });
  });

  it('a POST with a body of several chunks crosses whole', async () => {
    const big = 'x'.repeat(200_000);
    const r = await call('POST', big);
    assert.equal(r.body, `POST ${big}`);
  });

  it('an answer of several windows crosses whole, its trailers after it', async () => {
    const r = await call('GET', undefined, '/big');
    assert.equal(r.body, 'GET '.repeat(50_000));
    assert.equal(r.grpc, '0');
  });
});
