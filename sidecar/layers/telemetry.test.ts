// The DC flag (downstream connection termination) against real servers on both
// protocols: a client that leaves before the reply ends is DC, a reply that ends is
// not. HTTP/2 is the trap: Node's compatibility response reads writableFinished from
// the stream, which the client's RST_STREAM finishes too (and 'finish' fires).
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Exchange, ProxyRequest, ProxyResponse } from '../exchange.js';
import { newExchange, untilReplyEnds } from '../exchange.js';
import type { IstioMetrics, Peers } from '../istio-metrics.js';
import { telemetry } from './telemetry.js';

const conn = {
  direction: 'inbound' as const,
  destination: { address: '127.0.0.1', port: 0 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};

type Server = http.Server | http2.Http2Server;
type Finish = 'end' | 'client-leaves';

/**
 * A server whose one handler is telemetry over a reply that sends its head and a
 * chunk, then ends (`end`) or waits for the client to leave; resolves with the
 * flags telemetry recorded.
 */
async function flagsOf(kind: 'http1' | 'http2', finish: Finish): Promise<string> {
  let recorded: (flags: string) => void = () => undefined;
  const flags = new Promise<string>((r) => (recorded = r));
  const metrics = { request: (_p: Peers, o: { flags: string }) => recorded(o.flags) };
  const layer = telemetry({
    metrics: metrics as unknown as IstioMetrics,
    peersOf: () => ({}) as Peers,
  });
  const reply = async (ex: Exchange): Promise<void> => {
    const res = ex.res as http.ServerResponse;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first');
    if (finish === 'end') res.end('last');
    await untilReplyEnds(ex);
  };
  const handler = (req: ProxyRequest, res: ProxyResponse): void =>
    void layer(reply)(newExchange(req, res, conn));
  const server: Server =
    kind === 'http1' ? http.createServer(handler) : http2.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const leave = finish === 'client-leaves';
  if (kind === 'http2') {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', () => undefined);
    const s = client.request({ ':path': '/' });
    s.on('error', () => undefined);
    // The client resets its stream after the first chunk, before the reply's end.
    s.once('data', () => (leave ? s.close(http2.constants.NGHTTP2_CANCEL) : s.resume()));
    void flags.finally(() => client.destroy());
  } else {
    const req = http.get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
      res.on('error', () => undefined);
      // The client closes its connection after the first chunk.
      res.once('data', () => (leave ? req.destroy() : res.resume()));
    });
    req.on('error', () => undefined);
  }
  try {
    return await Promise.race([
      flags,
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('telemetry recorded nothing')), 3000).unref(),
      ),
    ]);
  } finally {
    (server as http.Server).closeAllConnections?.();
    server.close();
  }
}

describe('telemetry: DC when the client leaves before the reply ends', () => {
  for (const kind of ['http1', 'http2'] as const) {
    it(`${kind}: the client leaves mid-reply → DC`, async () => {
      assert.equal(await flagsOf(kind, 'client-leaves'), 'DC');
    });

    it(`${kind}: a reply that ends → no flag`, async () => {
      assert.equal(await flagsOf(kind, 'end'), '-');
    });
  }
});
