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
