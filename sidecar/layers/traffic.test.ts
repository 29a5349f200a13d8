// The TrafficPolicy layers composed as proxy.ts composes them (policy, fault,
// timeout, retry, pool, balance), over a fake forwarder that answers per endpoint
// and honours the per-try contract the real forwarders do (head hook, signal).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { ErrorCode, WeftError } from '../../src/errors.js';
import { limitLogger } from '../../src/log-limit.js';
import { createLogger } from '../../src/log.js';
import { MeshConfigSchema } from '../../src/mesh/config.js';
import { compileMesh } from '../../src/mesh/mesh-index.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { ConnectionInfo, Exchange, Layer, ProxyRequest, ProxyResponse } from '../exchange.js';
import { newExchange } from '../exchange.js';
import { compose } from '../stacks.js';
import { TrafficStates } from '../traffic-state.js';
import { balance } from './balance.js';
import { fault } from './fault.js';
import { trafficPolicy } from './policy.js';
import { pool } from './pool.js';
import { rescue } from './rescue.js';
import { retry } from './retry.js';
import { route } from './route.js';
import { routes } from './routes.js';
import { timeout } from './timeout.js';

const NS = 'shop';
const log = limitLogger(createLogger({}, 'error', () => undefined));
const conn: ConnectionInfo = {
  direction: 'outbound',
  destination: { address: '203.0.113.9', port: 80 },
  remoteAddress: '127.0.0.1',
  mtls: false,
};
const A = '198.51.100.1';
const B = '198.51.100.2';

function meshWith(
  spec?: Record<string, unknown>,
  endpoints = [A],
  routes: Record<string, unknown>[] = [],
): MeshIndex {
  return compileMesh(
    MeshConfigSchema.parse({
      services: [
        {
          name: 'cart',
          namespace: NS,
          addresses: ['203.0.113.9'],
          ports: [{ port: 80, name: 'http' }],
          endpoints: endpoints.map((address) => ({
            address,
            identity: `spiffe://cluster.local/ns/${NS}/sa/cart`,
          })),
        },
      ],
      trafficPolicies: spec
        ? [
            {
              namespace: NS,
              name: 'cart',
              // No generation: the spec itself is the version (as from a mesh file).
              creationTimestamp: '2026-01-01T00:00:00Z',
              spec: { targetRefs: [{ group: '', kind: 'Service', name: 'cart' }], ...spec },
            },
          ]
        : [],
      routes,
    }),
    NS,
  );
}

interface Recorded {
  status?: number;
  headers?: Record<string, unknown>;
  body: string;
}
function recorder(): ProxyResponse & { out: Recorded } {
  const r = {
    headersSent: false,
    statusCode: 200,
    writableFinished: false,
    out: { body: '' } as Recorded,
    writeHead(status: number, headers: Record<string, unknown> = {}) {
      r.headersSent = true;
      r.statusCode = status;
      r.out.status = status;
      r.out.headers = headers;
      return r;
    },
    end(body: string | Buffer = '') {
      r.out.body += String(body);
      r.writableFinished = true;
    },
    once() {
      return r;
    },
    destroy() {},
  };
  return r as unknown as ProxyResponse & { out: Recorded };
}

const request = (): ProxyRequest =>
  ({
    headers: { host: 'cart' },
    rawHeaders: [],
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
  }) as unknown as ProxyRequest;

type Answer = number | 'connect-fail';
/** The forwarder: each endpoint answers with `answer(address)`, after `delayMs`. */
function upstream(
  answer: (address: string) => Answer,
  delayMs = 0,
): { layer: Layer; tries: string[] } {
  const tries: string[] = [];
  const layer: Layer = () => async (ex) => {
    const address = ex.endpoint!.address;
    tries.push(address);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const a = answer(address);
    if (a === 'connect-fail') throw new WeftError(ErrorCode.UpstreamConnectFailed, 'refused');
    const headers = {};
    const sent = ex.upstreamTry?.head ? ex.upstreamTry.head(a, headers) : headers;
    if (!sent) return;
    ex.res.writeHead(a, sent);
    ex.res.end('body');
  };
  return { layer, tries };
}

function stack(mesh: () => MeshIndex, states: TrafficStates, forward: Layer, random = () => 0.5) {
  const noWait = (): Promise<void> => Promise.resolve();
  const handler = compose([
    rescue(log),
    route(mesh),
    routes(mesh),
    trafficPolicy(states, mesh),
    fault(random, noWait),
    timeout,
    retry(random, noWait),
    pool,
    balance(mesh),
    forward,
  ]);
  return async (): Promise<{ ex: Exchange; out: Recorded }> => {
    const res = recorder();
    const ex = newExchange(request(), res, conn);
    await handler(ex);
    return { ex, out: res.out };
  };
}

describe('TrafficPolicy in the outbound stack', () => {
  it("retries a 503 with Istio's default policy when nothing is configured, and not a 500", async () => {
    const mesh = meshWith();
    const answers = [503, 200, 500];
    const { layer, tries } = upstream(() => answers.shift() ?? 200);
    const call = stack(() => mesh, new TrafficStates(log), layer);
    const first = await call();
    assert.equal(first.out.status, 200);
    assert.equal(tries.length, 2);
    const second = await call();
    assert.equal(second.out.status, 500);
    assert.equal(tries.length, 3);
  });

  it('retries a failed connect by default, and flags URX when every attempt failed', async () => {
    const mesh = meshWith();
    const { layer, tries } = upstream(() => 503);
    const { ex, out } = await stack(() => mesh, new TrafficStates(log), layer)();
    assert.equal(out.status, 503);
    assert.equal(tries.length, 3);
    assert.equal(ex.flags, 'URX');
    const refused = upstream(() => 'connect-fail');
    const r = await stack(() => mesh, new TrafficStates(log), refused.layer)();
    assert.equal(refused.tries.length, 3);
    assert.equal(r.out.status, 503);
    // Envoy logs a connect failure after spent retries as UF with URX beside it.
    assert.equal(r.ex.flags, 'UF,URX');
  });

  it('caps retries with the budget: past it the answer goes out with flag UO', async () => {
    // ratio 0, one retry a second over a 1 s window: one retry in all.
    const mesh = meshWith({ retryBudget: { ratio: 0, minRetriesPerSecond: 1, ttl: '1s' } });
    const { layer, tries } = upstream(() => 503);
    const call = stack(() => mesh, new TrafficStates(log), layer);
    const first = await call();
    assert.equal(tries.length, 2); // the first try and the one retry the budget had
    assert.equal(first.ex.flags, 'UO');
    const second = await call();
    assert.equal(tries.length, 3); // no retry left
    assert.equal(second.out.status, 503);
    assert.equal(second.ex.flags, 'UO');
  });

  it('takes the policy retries: attempts 0 turns them off', async () => {
    const mesh = meshWith({ retries: { attempts: 0 } });
    const { layer, tries } = upstream(() => 503);
    const { out } = await stack(() => mesh, new TrafficStates(log), layer)();
    assert.equal(out.status, 503);
    assert.equal(tries.length, 1);
  });

  it('aborts with the fault status and FI, never reaching the upstream', async () => {
    const mesh = meshWith({ fault: { abort: { httpStatus: 418, percentage: 100 } } });
    const { layer, tries } = upstream(() => 200);
    const { ex, out } = await stack(() => mesh, new TrafficStates(log), layer)();
    assert.equal(out.status, 418);
    assert.equal(out.body, 'fault filter abort');
    assert.equal(ex.flags, 'FI');
    assert.equal(tries.length, 0);
  });

  it('answers a gRPC abort as HTTP 200 with grpc-status', async () => {
    const mesh = meshWith({ fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: 100 } } });
    const { layer } = upstream(() => 200);
    const { ex, out } = await stack(() => mesh, new TrafficStates(log), layer)();
    assert.equal(out.status, 200);
    assert.equal(out.headers?.['grpc-status'], '14');
    assert.equal(ex.grpcStatus, '14');
  });

  it('delays (DI), and a Service with a fault gets no retries', async () => {
    const mesh = meshWith({
      fault: { delay: { fixedDelay: '5ms', percentage: 100 }, abort: { httpStatus: 500 } },
    });
    const { layer, tries } = upstream(() => 503);
    const { ex, out } = await stack(() => mesh, new TrafficStates(log), layer)();
    assert.equal(out.status, 503);
    assert.equal(tries.length, 1);
    assert.equal(ex.flags, 'DI');
  });

  it('ends an injected delay when the client leaves, without going upstream', async () => {
    const mesh = meshWith({ fault: { delay: { fixedDelay: '5s', percentage: 100 } } });
    const states = new TrafficStates(log);
    const { layer, tries } = upstream(() => 200);
    // The real sleep, so only the client's leaving can end the delay early.
    const handler = compose([
      route(() => mesh),
      routes(() => mesh),
      trafficPolicy(states, () => mesh),
      fault(() => 0.5),
      balance(() => mesh),
      layer,
    ]);
    const socket = Object.assign(new EventEmitter(), { destroyed: false });
    const req = Object.assign(request(), { socket });
    const res = Object.assign(new EventEmitter(), recorder());
    const ex = newExchange(req, res, conn);
    setTimeout(() => {
      socket.destroyed = true;
      socket.emit('close');
    }, 50);
    const started = Date.now();
    await handler(ex);
    assert.ok(Date.now() - started < 2000, `the delay held for ${Date.now() - started} ms`);
    assert.equal(tries.length, 0);
    states.stop();
  });

  it('draws the abort percentage per request', async () => {
    const mesh = meshWith({ fault: { abort: { httpStatus: 503, percentage: 50 } } });
    const draws = [0.1, 0.9, 0.49, 0.5];
    const { layer } = upstream(() => 200);
    const call = stack(
      () => mesh,
      new TrafficStates(log),
      layer,
      () => draws.shift() ?? 0.5,
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call()).out.status);
    assert.deepEqual(statuses, [503, 200, 503, 200]);
  });

  it('answers 503 UO over the pool limits: one in flight, one waiting, the third refused', async () => {
    const mesh = meshWith({
      connectionPool: { maxConnections: 1, http1MaxPendingRequests: 1 },
      retries: { attempts: 0 },
    });
    const { layer, tries } = upstream(() => 200, 30);
    const call = stack(() => mesh, new TrafficStates(log), layer);
    const all = await Promise.all([call(), call(), call()]);
    assert.deepEqual(
      all.map((r) => [r.out.status, r.ex.flags]),
      [
        [200, '-'],
        [200, '-'],
        [503, 'UO'],
      ],
    );
    assert.equal(tries.length, 2);
    assert.equal(all[2]?.out.headers?.['x-weft-error'], 'upstream_overflow');
  });

  it('ejects an endpoint after consecutive 5xx and readmits it after the ejection time', async () => {
    const mesh = meshWith(
      {
        outlierDetection: { consecutive5xxErrors: 2, interval: '20ms', baseEjectionTime: '60ms' },
        retries: { attempts: 0 },
      },
      [A, B],
    );
    const states = new TrafficStates(log);
    const { layer, tries } = upstream((address) => (address === A ? 500 : 200));
    const call = stack(() => mesh, states, layer);
    for (let i = 0; i < 4; i++) await call(); // A, B, A (ejected now), B
    assert.deepEqual(tries, [A, B, A, B]);
    for (let i = 0; i < 4; i++) await call();
    assert.deepEqual(tries.slice(4), [B, B, B, B]);
    await new Promise((r) => setTimeout(r, 150));
    for (let i = 0; i < 4; i++) await call();
    assert.ok(tries.slice(8).includes(A), `readmitted: ${tries.slice(8).join(' ')}`);
    states.stop();
  });

  it("keeps a route's request timeout in force through the outlier detector", async () => {
    // A body or attempts: 0 leaves the Deadline itself as the try (no retry copy):
    // the detector's wrapper must pass its signal on, or nothing stops a hung upstream.
    const route = {
      kind: 'HTTPRoute',
      namespace: NS,
      name: 'cart',
      creationTimestamp: '2026-01-01T00:00:00Z',
      generation: 1,
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'cart', port: 80 }],
        rules: [{ backendRefs: [{ name: 'cart', port: 80 }], timeouts: { request: '50ms' } }],
      },
    };
    const mesh = meshWith(
      { outlierDetection: { consecutive5xxErrors: 5 }, retries: { attempts: 0 } },
      [A],
      [route],
    );
    const states = new TrafficStates(log);
    // Answers only when its try is stopped, or after 2 s.
    const hung: Layer = () => async (ex) => {
      const signal = ex.upstreamTry?.signal;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 2000);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
      ex.res.writeHead(200, {});
      ex.res.end('late');
    };
    const started = Date.now();
    const { ex, out } = await stack(() => mesh, states, hung)();
    assert.equal(out.status, 504);
    assert.equal(ex.flags, 'UT');
    assert.ok(Date.now() - started < 1000, `stopped after ${Date.now() - started} ms`);
    states.stop();
  });

  it('keeps a Service state across configs that leave its policy alone', () => {
    const states = new TrafficStates(log);
    const one = meshWith({ retries: { attempts: 1 } });
    const two = meshWith({ retries: { attempts: 1 } }, [A, B]);
    const three = meshWith({ retries: { attempts: 3 } });
    const svc = (m: MeshIndex) => m.service(NS, 'cart', 80)!.service;
    const s1 = states.for(one, svc(one));
    assert.equal(states.for(two, svc(two)), s1);
    const s3 = states.for(three, svc(three));
    assert.notEqual(s3, s1);
    assert.equal(s3.settings.retries.attempts, 3);
    // A config without the Service forgets its state: it starts afresh if it returns.
    const db = compileMesh(
      MeshConfigSchema.parse({ services: [{ name: 'db', namespace: NS, ports: [{ port: 80 }] }] }),
      NS,
    );
    states.for(db, db.service(NS, 'db', 80)!.service);
    assert.notEqual(states.for(three, svc(three)), s3);
    states.stop();
  });
});
