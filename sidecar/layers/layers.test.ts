import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, WeftError } from '../../src/errors.js';
import { limitLogger } from '../../src/log-limit.js';
import { createLogger } from '../../src/log.js';
import { MeshConfigSchema } from '../../src/mesh/config.js';
import type { ConnectionInfo, Exchange, ProxyRequest, ProxyResponse } from '../exchange.js';
import { newExchange } from '../exchange.js';
import { forwardHeaders } from '../http-headers.js';
import { compose } from '../stacks.js';
import { compileMesh } from '../../src/mesh/mesh-index.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import { balance, hashKey } from './balance.js';
import { rescue } from './rescue.js';
import { nextTraceparent } from './trace.js';

const conn: ConnectionInfo = {
  direction: 'outbound',
  destination: { address: '10.0.0.1', port: 80 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};

interface Written {
  written?: { status: number; headers: object; body: string };
}

/** The parts of a response the layers touch, recorded. */
function recorder(): ProxyResponse & Written {
  const r = {
    headersSent: false,
    statusCode: 200,
    writableFinished: false,
    written: undefined as Written['written'],
    writeHead(status: number, headers: object) {
      r.headersSent = true;
      r.statusCode = status;
      r.written = { status, headers, body: '' };
      return r;
    },
    end(body: string) {
      r.written!.body = body;
      r.writableFinished = true;
    },
    destroy() {},
  };
  return r as unknown as ProxyResponse & Written;
}

const request = (headers: Record<string, string>): ProxyRequest =>
  ({ headers, rawHeaders: [], method: 'GET', url: '/' }) as unknown as ProxyRequest;

describe('trace context', () => {
  it('keeps the trace id and flags, replaces the parent id', () => {
    const next = nextTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    assert.match(next, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    assert.notEqual(next.split('-')[2], 'b7ad6b7169203331');
  });

  it('starts a sampled trace for a missing or invalid header', () => {
    for (const bad of [undefined, 'garbage', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`]) {
      assert.match(nextTraceparent(bad), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    assert.notEqual(nextTraceparent(undefined), nextTraceparent(undefined));
  });
});

describe('header hygiene', () => {
  it('drops hop-by-hop, Connection-listed and pseudo headers, keeps te: trailers', () => {
    const out = forwardHeaders({
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      expect: '100-continue',
      host: 'a',
      ':path': '/',
      te: 'trailers',
      'x-kept': 'yes',
    });
    assert.deepEqual(out, { te: 'trailers', 'x-kept': 'yes' });
  });

  it('reads the Connection list case-insensitively, and keeps all else without one', () => {
    const listed = forwardHeaders({
      connection: ' Keep-Alive ,X-Hop',
      'x-hop': '1',
      'x-kept': 'y',
    });
    assert.deepEqual(listed, { 'x-kept': 'y' });
    const none = forwardHeaders({ 'x-a': '1', 'set-cookie': ['a=1', 'b=2'], 'keep-alive': 't' });
    assert.deepEqual(none, { 'x-a': '1', 'set-cookie': ['a=1', 'b=2'] });
    assert.deepEqual(forwardHeaders({ connection: 'upgrade', upgrade: 'h2c' }, ['upgrade']), {
      upgrade: 'h2c',
    });
  });
});

describe('rescue', () => {
  const log = limitLogger(createLogger({}, 'error', () => undefined));
  const cases: [WeftError, number, string][] = [
    [new WeftError(ErrorCode.NoRoute, 'no route'), 404, 'NR'],
    [new WeftError(ErrorCode.NoHealthyUpstream, 'none'), 503, 'UH'],
    [new WeftError(ErrorCode.UpstreamConnectFailed, 'tls'), 503, 'UF'],
    [new WeftError(ErrorCode.UpstreamTimeout, 'slow'), 504, 'UT'],
  ];
  for (const [err, status, flag] of cases) {
    it(`answers ${err.code} with ${status} and flag ${flag}`, async () => {
      const res = recorder();
      const ex = newExchange(request({}), res, conn);
      await compose([rescue(log), () => () => Promise.reject(err)])(ex);
      assert.equal(res.written?.status, status);
      assert.equal(ex.flags, flag);
      assert.equal((res.written?.headers as Record<string, string>)['x-weft-error'], err.code);
    });
  }

  it('hides an unexpected error behind a 500', async () => {
    const res = recorder();
    const ex = newExchange(request({}), res, conn);
    await compose([rescue(log), () => () => Promise.reject(new Error('secret detail'))])(ex);
    assert.equal(res.written?.status, 500);
    assert.doesNotMatch(res.written.body, /secret/);
  });
});

describe('consistent-hash key', () => {
  const service = MeshConfigSchema.parse({
    services: [
      {
        name: 's',
        namespace: 'n',
        ports: [{ port: 80 }],
        loadBalancer: { policy: 'RING_HASH', hashOn: { cookie: 'session' } },
      },
      {
        name: 't',
        namespace: 'n',
        ports: [{ port: 80 }],
        loadBalancer: { policy: 'RING_HASH', hashOn: { header: 'X-User' } },
      },
    ],
  }).services;
  const ex = (headers: Record<string, string>): Exchange =>
    newExchange(request(headers), recorder(), conn);

  it('reads the named cookie or header', () => {
    assert.equal(hashKey(ex({ cookie: 'a=1; session=abc; b=2' }), service[0]!), 'abc');
    assert.equal(hashKey(ex({ 'x-user': 'u7' }), service[1]!), 'u7');
  });

  it('spreads requests without a key', () => {
    const keys = new Set(Array.from({ length: 20 }, () => hashKey(ex({}), service[0]!)));
    assert.ok(keys.size > 15);
  });
});

describe('balance', () => {
  const meshWith = (ips: string[]): MeshIndex =>
    compileMesh(
      MeshConfigSchema.parse({
        services: [
          {
            name: 'cart',
            namespace: 'shop',
            addresses: ['10.0.0.1'],
            ports: [{ port: 80 }],
            endpoints: ips.map((address) => ({
              address,
              identity: `spiffe://cluster.local/ns/shop/sa/${address.replaceAll('.', '-')}`,
            })),
          },
        ],
      }),
      'shop',
    );

  it('picks from the mesh in force, not the one the request was routed in', async () => {
    // A request routed before a push (its body read, or a retry's back-off, spans it).
    const before = meshWith(['203.0.113.1']);
    const ex = newExchange(request({}), recorder(), conn);
    ex.target = before.byDestination('10.0.0.1', 80);
    assert.ok(ex.target);
    let now = meshWith(['203.0.113.2']);
    let seen: { endpoint?: string; identities?: string[] } = {};
    const handler = compose([
      balance(() => now),
      () => (e) => {
        seen = {
          endpoint: e.endpoint?.address,
          identities: [...now.identities(e.target!.service)],
        };
        return Promise.resolve();
      },
    ]);
    await handler(ex);
    assert.deepEqual(seen, {
      endpoint: '203.0.113.2',
      identities: ['spiffe://cluster.local/ns/shop/sa/203-0-113-2'],
    });
    // The Service gone from the view: the old target stays, and an index that does not
    // know it vouches for nobody (one shared empty set, not a new one per call).
    now = compileMesh(MeshConfigSchema.parse({}), 'shop');
    assert.equal(now.identities(before.byDestination('10.0.0.1', 80)!.service).size, 0);
    assert.equal(
      now.identities(before.byDestination('10.0.0.1', 80)!.service),
      now.identities(ex.target.service),
    );
  });

  it("re-reads a pod the app dialled directly, so its peer is checked against the new view's identities", async () => {
    const before = meshWith(['203.0.113.1']);
    const ex = newExchange(request({}), recorder(), conn);
    ex.target = before.byDestination('203.0.113.1', 80);
    assert.ok(ex.target?.endpoint, 'a pod target');
    const now = meshWith(['203.0.113.1']); // a push: same pod, new Service objects
    assert.equal(now.identities(ex.target.service).size, 0, 'the old object vouches for nobody');
    let identities: string[] = [];
    const handler = compose([
      balance(() => now),
      () => (e) => {
        identities = [...now.identities(e.target!.service)];
        return Promise.resolve();
      },
    ]);
    await handler(ex);
    assert.deepEqual(identities, ['spiffe://cluster.local/ns/shop/sa/203-0-113-1']);
    assert.equal(ex.endpoint?.address, '203.0.113.1');
  });
});
