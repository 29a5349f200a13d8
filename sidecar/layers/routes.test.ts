// The routing layers composed as proxy.ts composes them, over a fake upstream in
// place of balance and forward that honours the per-try contract the forwarders
// do (the head hook, the abort signal, the replay body).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, WeftError } from '../../src/errors.js';
import { limitLogger } from '../../src/log-limit.js';
import { createLogger } from '../../src/log.js';
import { MeshConfigSchema } from '../../src/mesh/config.js';
import { compileMesh } from '../../src/mesh/mesh-index.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Random } from '../../src/random.js';
import type { ConnectionInfo, Exchange, Layer, ProxyRequest, ProxyResponse } from '../exchange.js';
import { newExchange } from '../exchange.js';
import { MirrorSender } from '../mirror-sender.js';
import { bodyForTry } from '../replayable-body.js';
import { compose } from '../stacks.js';
import type { UpstreamPool } from '../upstream-pool.js';
import { mirror } from './mirror.js';
import { requestBody } from './request-body.js';
import { rescue } from './rescue.js';
import { retry } from './retry.js';
import { route } from './route.js';
import { routes } from './routes.js';
import { timeout } from './timeout.js';

const NS = 'mesh';
const T0 = '2026-01-01T00:00:00Z';
const log = limitLogger(createLogger({}, 'error', () => undefined));
const conn: ConnectionInfo = {
  direction: 'outbound',
  destination: { address: '203.0.113.9', port: 80 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};

const service = (name: string, address: string) => ({
  name,
  namespace: NS,
  ports: [{ port: 80, targetPort: 8080 }],
  endpoints: [{ address, identity: `spiffe://cluster.local/ns/${NS}/sa/${name}` }],
});
const SERVICES = [
  service('echo', '198.51.100.20'),
  service('v1', '198.51.100.21'),
  service('v2', '198.51.100.22'),
  service('shadow', '198.51.100.23'),
];

function meshWith(rules: unknown[], name = 'echo-routes'): MeshIndex {
  const config = MeshConfigSchema.parse({
    services: SERVICES,
    routes: [
      {
        kind: 'HTTPRoute',
        namespace: NS,
        name,
        creationTimestamp: T0,
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
          rules,
        },
      },
    ],
  });
  return compileMesh(config, NS);
}
const to = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
});

/** random() returns these, then 0.5. */
function seeded(values: number[]): Random {
  const queue = [...values];
  return () => queue.shift() ?? 0.5;
}

interface Written {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}
interface Recorder {
  written: Written | undefined;
  destroyed: boolean;
}
function recorder(): ProxyResponse & Recorder {
  const r = {
    headersSent: false,
    statusCode: 200,
    writableFinished: false,
    destroyed: false,
    written: undefined as Written | undefined,
    writeHead(status: number, headers: Record<string, unknown> = {}) {
      r.headersSent = true;
      r.statusCode = status;
      r.written = { status, headers, body: '' };
      return r;
    },
    end(body: string | Buffer = '') {
      r.written!.body += String(body);
      r.writableFinished = true;
    },
    once() {
      return r;
    },
    destroy() {
      r.destroyed = true;
    },
  };
  return r as unknown as ProxyResponse & Recorder;
}

function request(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: Buffer,
): ProxyRequest {
  const chunks = body ? [body.subarray(0, 3), body.subarray(3)] : [];
  return {
    headers: {
      host: 'echo',
      ...headers,
      ...(body ? { 'content-length': String(body.length) } : {}),
    },
    rawHeaders: [],
    method,
    url,
    httpVersion: '1.1',
    [Symbol.asyncIterator]: () =>
      (async function* () {
        // As a socket delivers them: one chunk per turn of the event loop.
        for (const c of chunks) yield await Promise.resolve(c);
      })(),
  } as unknown as ProxyRequest;
}

type Answer =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | 'connect-fail';

interface Seen {
  service: string;
  url: string;
  headers: Record<string, unknown>;
  body: string | undefined;
}

/** The body as the forwarder would send it: held whole, or the part read and the rest. */
async function bodyOf(ex: Exchange): Promise<string | undefined> {
  const body = bodyForTry(ex);
  if (body === undefined || Buffer.isBuffer(body)) return body?.toString();
  let all = '';
  for await (const chunk of body) all += chunk.toString();
  return all;
}

/** balance + forward as the routing layers see them: one answer per try, in order. */
function upstream(answers: Answer[]): { layer: Layer; seen: Seen[] } {
  const seen: Seen[] = [];
  const layer: Layer = () => async (ex) => {
    seen.push({
      service: ex.target!.service.name,
      url: ex.req.url ?? '',
      headers: { ...ex.req.headers },
      body: await bodyOf(ex),
    });
    const a = answers.shift() ?? { status: 200 };
    if (a === 'connect-fail') throw new WeftError(ErrorCode.UpstreamConnectFailed, 'refused');
    const t = ex.upstreamTry;
    if (a.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, a.delayMs);
        t?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(t.signal!.reason);
        });
      });
    }
    const headers = { 'x-upstream': 'yes', ...a.headers };
    const sent = t?.head ? t.head(a.status, headers) : headers;
    if (!sent) return; // dropped for a retry, as the forwarders do
    ex.res.writeHead(a.status, sent);
    ex.res.end(a.body ?? 'ok');
  };
  return { layer, seen };
}

interface Run {
  ex: Exchange;
  res: ProxyResponse & Recorder;
  seen: Seen[];
}

interface RunOptions {
  answers?: Answer[];
  random?: Random;
  sender?: MirrorSender;
  bodyLimit?: number;
}

async function run(mesh: MeshIndex, req: ProxyRequest, o: RunOptions = {}): Promise<Run> {
  const { layer, seen } = upstream(o.answers ?? []);
  const random = o.random ?? seeded([]);
  const sender = o.sender ?? new MirrorSender({ pool: failingPool(), log, random });
  const res = recorder();
  const ex = newExchange(req, res, conn);
  const noWait = (): Promise<void> => Promise.resolve();
  await compose([
    rescue(log),
    route(() => mesh),
    routes(() => mesh, random),
    requestBody(o.bodyLimit),
    mirror(sender, () => mesh),
    timeout,
    retry(random, noWait),
    layer,
  ])(ex);
  return { ex, res, seen };
}

/** An upstream pool whose every request fails (or, `hang`, never answers). */
function failingPool(hang = false): UpstreamPool & { requests: number } {
  const p = {
    requests: 0,
    pool: () => ({
      request: () => {
        p.requests++;
        return hang ? new Promise(() => undefined) : Promise.reject(new Error('mirror down'));
      },
    }),
  };
  return p as unknown as UpstreamPool & { requests: number };
}

describe('routing layer', () => {
  it('takes the Service from the ClusterIP dialled, not from Host (MeshFrontendHostname)', async () => {
    const config = MeshConfigSchema.parse({
      services: SERVICES.map((s) =>
        s.name === 'v2' ? { ...s, addresses: [conn.destination.address] } : s,
      ),
    });
    const mesh = compileMesh(config, NS);
    const { seen } = await run(mesh, request('/', { host: 'v1' }));
    assert.deepEqual(
      seen.map((s) => s.service),
      ['v2'],
    );
  });

  it('leaves a Service without routes as it was', async () => {
    const mesh = compileMesh(MeshConfigSchema.parse({ services: SERVICES }), NS);
    const { res, seen, ex } = await run(mesh, request('/a?b=1'));
    assert.equal(res.written?.status, 200);
    assert.deepEqual(
      seen.map((s) => [s.service, s.url]),
      [['echo', '/a?b=1']],
    );
    assert.equal(ex.routed, undefined);
  });

  it('answers a RequestRedirect itself, with Location and status, and sends nothing upstream', async () => {
    const mesh = meshWith([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
        filters: [
          {
            type: 'RequestRedirect',
            requestRedirect: {
              hostname: 'new.example',
              statusCode: 301,
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
            },
          },
        ],
      },
    ]);
    const { res, seen, ex } = await run(mesh, request('/old/page?q=1'));
    assert.equal(res.written?.status, 301);
    assert.equal(res.written?.headers.location, 'http://new.example/new/page?q=1');
    assert.equal(seen.length, 0);
    assert.deepEqual(ex.routed, { route: `${NS}/echo-routes`, rule: 0 });
  });

  it('rewrites the path and Host (URLRewrite) and sends to the backend Service', async () => {
    const mesh = meshWith([
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        filters: [
          {
            type: 'URLRewrite',
            urlRewrite: {
              hostname: 'v1.internal',
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1' },
            },
          },
        ],
        backendRefs: [to('v1')],
      },
    ]);
    const { res, seen, ex } = await run(mesh, request('/api/users?x=1'));
    assert.equal(res.written?.status, 200);
    assert.equal(seen[0]?.service, 'v1');
    assert.equal(seen[0]?.url, '/v1/users?x=1');
    assert.equal(seen[0]?.headers.host, 'v1.internal');
    // Metrics and the access log: the backend Service used, the route and rule by name.
    assert.equal(ex.target?.service.name, 'v1');
    assert.deepEqual(ex.routed, { route: `${NS}/echo-routes`, rule: 'api' });
  });

  it('applies request and response header modifiers (rule and backendRef)', async () => {
    const mesh = meshWith([
      {
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: {
              set: [{ name: 'X-Set', value: 'set' }],
              add: [{ name: 'X-Add', value: 'two' }],
              remove: ['x-drop'],
            },
          },
          {
            type: 'ResponseHeaderModifier',
            responseHeaderModifier: {
              set: [{ name: 'X-Resp', value: 'r' }],
              remove: ['x-upstream'],
            },
          },
        ],
        backendRefs: [
          {
            ...to('v2'),
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { add: [{ name: 'X-Backend', value: 'v2' }] },
              },
            ],
          },
        ],
      },
    ]);
    const req = request('/', { 'x-add': 'one', 'x-drop': 'gone', 'x-set': 'old' });
    const { res, seen } = await run(mesh, req);
    assert.equal(seen[0]?.headers['x-set'], 'set');
    assert.equal(seen[0]?.headers['x-add'], 'one,two');
    assert.equal(seen[0]?.headers['x-drop'], undefined);
    assert.equal(seen[0]?.headers['x-backend'], 'v2');
    assert.equal(res.written?.headers['x-resp'], 'r');
    assert.equal(res.written?.headers['x-upstream'], undefined);
  });

  it('answers 404 (NR) when routes attach and no rule matches', async () => {
    const mesh = meshWith([
      { matches: [{ path: { type: 'Exact', value: '/only' } }], backendRefs: [to('v1')] },
    ]);
    const { res, seen, ex } = await run(mesh, request('/other'));
    assert.equal(res.written?.status, 404);
    assert.equal(ex.flags, 'NR');
    assert.equal(seen.length, 0);
  });

  it('answers 500 (NC) for a backend that is not in the mesh, or no backend at all', async () => {
    for (const [rules, why] of [
      [[{ backendRefs: [to('missing')] }], /backend mesh\/missing:80 not found/],
      [[{ backendRefs: [to('v1', 0)] }], /every backend has weight 0/],
      [[{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }], /no backendRefs/],
    ] as const) {
      const { res, seen, ex } = await run(meshWith([...rules]), request('/'));
      assert.equal(res.written?.status, 500);
      assert.match(res.written?.body ?? '', why);
      assert.equal(ex.flags, 'NC');
      assert.equal(seen.length, 0);
    }
  });

  it('answers 500 (NC) for the share a refused cross-namespace backend would get, and mirrors nothing there', async () => {
    const far = { ...service('api', '198.51.100.30'), namespace: 'far' };
    const farRef = (name: string, weight?: number) => ({ ...to(name, weight), namespace: 'far' });
    const mesh = compileMesh(
      MeshConfigSchema.parse({
        services: [...SERVICES, far, { ...far, name: 'shadow' }],
        routes: [
          {
            kind: 'HTTPRoute',
            namespace: NS,
            name: 'cross',
            creationTimestamp: T0,
            spec: {
              parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
              rules: [
                {
                  filters: [
                    { type: 'RequestMirror', requestMirror: { backendRef: farRef('shadow') } },
                  ],
                  backendRefs: [to('v1', 50), farRef('api', 50)],
                },
              ],
            },
            // Discovery found no ReferenceGrant in `far` for these.
            refusedBackends: ['far/api', 'far/shadow'],
          },
        ],
      }),
      NS,
    );
    const pool = failingPool();
    const sender = new MirrorSender({ pool, log, random: seeded([]) });
    const kept = await run(mesh, request('/'), { random: seeded([0.2]), sender });
    assert.equal(kept.res.written?.status, 200);
    assert.equal(kept.seen[0]?.service, 'v1');
    const refused = await run(mesh, request('/'), { random: seeded([0.7]), sender });
    assert.equal(refused.res.written?.status, 500);
    assert.match(refused.res.written?.body ?? '', /no ReferenceGrant in far/);
    assert.equal(refused.ex.flags, 'NC');
    assert.equal(refused.seen.length, 0);
    assert.equal(pool.requests, 0, 'no copy to the refused mirror');
  });

  it('picks weighted backends with the injected random source (90/10)', async () => {
    const mesh = meshWith([{ backendRefs: [to('v1', 90), to('v2', 10)] }]);
    const picks: string[] = [];
    for (const r of [0, 0.5, 0.899, 0.9, 0.95, 0.999]) {
      const { seen } = await run(mesh, request('/'), { random: seeded([r]) });
      picks.push(seen[0]!.service);
    }
    assert.deepEqual(picks, ['v1', 'v1', 'v1', 'v2', 'v2', 'v2']);
  });
});

describe('mirror layer', () => {
  const mirrored = (extra: Record<string, unknown> = {}): MeshIndex =>
    meshWith([
      {
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: to('shadow') } }],
        backendRefs: [to('v1')],
        ...extra,
      },
    ]);

  it('sends a copy while a failing mirror leaves the response alone', async () => {
    const pool = failingPool();
    const sender = new MirrorSender({ pool, log, random: seeded([]) });
    const { res, seen } = await run(mirrored(), request('/m'), { sender });
    assert.equal(res.written?.status, 200);
    assert.equal(res.written?.body, 'ok');
    assert.equal(seen[0]?.service, 'v1');
    assert.equal(pool.requests, 1);
  });

  it('never waits for a mirror, and drops copies past its in-flight bound', async () => {
    const pool = failingPool(true);
    const sender = new MirrorSender({ pool, log, random: seeded([]), maxInFlight: 2 });
    for (let i = 0; i < 4; i++) {
      const { res } = await run(mirrored(), request('/m'), { sender });
      assert.equal(res.written?.status, 200);
    }
    assert.equal(pool.requests, 2);
    assert.equal(sender.pending, 2);
  });

  it('drops the copy of a body over the replay bound, and still forwards the request', async () => {
    const pool = failingPool();
    const sender = new MirrorSender({ pool, log, random: seeded([]) });
    const body = Buffer.from('0123456789');
    const { res, ex, seen } = await run(mirrored(), request('/m', {}, 'POST', body), {
      sender,
      bodyLimit: 4,
    });
    assert.equal(res.written?.status, 200);
    assert.equal(pool.requests, 0);
    assert.ok(!Buffer.isBuffer(ex.body));
    // Streamed on: the part read first, then the rest, every byte counted once.
    assert.equal(seen[0]?.body, '0123456789');
    assert.equal(ex.requestBytes, body.length);
  });
});

describe('timeout and retry layers', () => {
  const retrying = (retry: Record<string, unknown>, timeouts?: Record<string, string>): MeshIndex =>
    meshWith([{ backendRefs: [to('v1')], retry, ...(timeouts ? { timeouts } : {}) }]);

  it('answers 504 (UT) when the request timeout passes before the answer', async () => {
    const mesh = meshWith([{ backendRefs: [to('v1')], timeouts: { request: '50ms' } }]);
    const started = Date.now();
    const { res, ex } = await run(mesh, request('/slow'), {
      answers: [{ status: 200, delayMs: 2000 }],
    });
    assert.equal(res.written?.status, 504);
    assert.equal(ex.flags, 'UT');
    assert.match(res.written?.body ?? '', /upstream request timeout/);
    assert.ok(Date.now() - started < 1000);
  });

  it('retries a listed code and the client sees only the success', async () => {
    const mesh = retrying({ attempts: 2, codes: [503] });
    const { res, seen, ex } = await run(mesh, request('/flaky'), {
      answers: [
        { status: 503, body: 'down' },
        { status: 200, body: 'fine' },
      ],
    });
    assert.equal(res.written?.status, 200);
    assert.equal(res.written?.body, 'fine');
    assert.equal(seen.length, 2);
    assert.equal(ex.flags, '-');
  });

  it('gives the last answer with flag URX once the retries are spent', async () => {
    const mesh = retrying({ attempts: 2, codes: [503] });
    const { res, seen, ex } = await run(mesh, request('/down'), {
      answers: [{ status: 503 }, { status: 503 }, { status: 503, body: 'last' }, { status: 200 }],
    });
    assert.equal(res.written?.status, 503);
    assert.equal(res.written?.body, 'last');
    assert.equal(seen.length, 3);
    assert.equal(ex.flags, 'URX');
  });

  it('does not retry a status that is not listed', async () => {
    const mesh = retrying({ attempts: 2, codes: [503] });
    const { res, seen } = await run(mesh, request('/'), { answers: [{ status: 500 }] });
    assert.equal(res.written?.status, 500);
    assert.equal(seen.length, 1);
  });

  it('retries a failed connect, then fails with UF,URX when every try does (as Envoy logs it)', async () => {
    const mesh = retrying({ attempts: 1, codes: [] });
    const ok = await run(mesh, request('/'), { answers: ['connect-fail', { status: 200 }] });
    assert.equal(ok.res.written?.status, 200);
    const down = await run(mesh, request('/'), { answers: ['connect-fail', 'connect-fail'] });
    assert.equal(down.res.written?.status, 503);
    assert.equal(down.ex.flags, 'UF,URX');
    assert.equal(down.seen.length, 2);
  });

  it('flags a failed connect without retries UF alone: no retry limit was reached', async () => {
    const mesh = retrying({ attempts: 0, codes: [] });
    const down = await run(mesh, request('/'), { answers: ['connect-fail'] });
    assert.equal(down.res.written?.status, 503);
    assert.equal(down.ex.flags, 'UF');
  });

  it('fails with UT,URX when the last per-try timeout (504 listed) ends the retries', async () => {
    const mesh = retrying({ attempts: 1, codes: [504] }, { request: '5s', backendRequest: '50ms' });
    const { res, ex, seen } = await run(mesh, request('/'), {
      answers: [
        { status: 200, delayMs: 1000 },
        { status: 200, delayMs: 1000 },
      ],
    });
    assert.equal(res.written?.status, 504);
    assert.equal(ex.flags, 'UT,URX');
    assert.equal(seen.length, 2);
  });

  it('replays a buffered body on every try', async () => {
    const mesh = retrying({ attempts: 1, codes: [503] });
    const body = Buffer.from('hello body');
    const { res, seen, ex } = await run(mesh, request('/post', {}, 'POST', body), {
      answers: [{ status: 503 }, { status: 201 }],
    });
    assert.equal(res.written?.status, 201);
    assert.deepEqual(
      seen.map((s) => s.body),
      ['hello body', 'hello body'],
    );
    assert.equal(ex.requestBytes, body.length);
  });

  it('never retries a body it could not hold whole', async () => {
    const mesh = retrying({ attempts: 2, codes: [503] });
    const { res, seen } = await run(mesh, request('/big', {}, 'POST', Buffer.from('0123456789')), {
      answers: [{ status: 503 }, { status: 200 }],
      bodyLimit: 4,
    });
    assert.equal(res.written?.status, 503);
    assert.equal(seen.length, 1);
  });

  it('retries a per-try timeout (backendRequest) when 504 is listed', async () => {
    const mesh = retrying({ attempts: 1, codes: [504] }, { request: '2s', backendRequest: '50ms' });
    const { res, seen } = await run(mesh, request('/'), {
      answers: [
        { status: 200, delayMs: 1000 },
        { status: 200, body: 'second' },
      ],
    });
    assert.equal(res.written?.status, 200);
    assert.equal(res.written?.body, 'second');
    assert.equal(seen.length, 2);
  });

  it('stops retrying when the request timeout passes', async () => {
    const mesh = retrying(
      { attempts: 5, codes: [504] },
      { request: '120ms', backendRequest: '50ms' },
    );
    const { res, ex, seen } = await run(mesh, request('/'), {
      answers: Array.from({ length: 6 }, () => ({ status: 200, delayMs: 1000 })),
    });
    assert.equal(res.written?.status, 504);
    assert.equal(ex.flags, 'UT');
    assert.ok(seen.length >= 2 && seen.length <= 3, String(seen.length));
  });
});
