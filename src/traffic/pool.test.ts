// Connection-pool admission over scripted bursts: Istio's circuit-breaking task
// (maxConnections 1, http1MaxPendingRequests 1) and each limit on its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POOL_DEFAULTS } from './defaults.js';
import type { PoolLimits } from './types.js';
import { PoolGate } from './pool.js';

const limits = (l: Partial<PoolLimits>): PoolLimits => ({ ...POOL_DEFAULTS, ...l });

describe('connection pool admission (Envoy circuit breakers)', () => {
  it("Istio's task: 1 connection, 1 pending: the third concurrent request gets 503 UO", () => {
    const g = new PoolGate(limits({ maxConnections: 1, http1MaxPendingRequests: 1 }));
    assert.deepEqual(g.request(false), { admitted: true, queued: true, connect: true });
    assert.deepEqual(g.dispatched(), { admitted: true, queued: false, connect: false }); // connected, sent
    assert.deepEqual(g.request(false), { admitted: true, queued: true, connect: false }); // waits
    assert.deepEqual(g.request(false), {
      admitted: false,
      flag: 'UO',
      limit: 'http1MaxPendingRequests',
    });
    g.finished();
    assert.deepEqual(g.dispatched(), { admitted: true, queued: false, connect: false });
    assert.deepEqual(g.counts(), { connections: 1, pending: 0, active: 1 });
  });

  it('http2MaxRequests caps requests in flight on ready connections', () => {
    const g = new PoolGate(limits({ http2MaxRequests: 2 }));
    assert.equal(g.request(true).admitted, true);
    assert.equal(g.request(true).admitted, true);
    assert.deepEqual(g.request(true), { admitted: false, flag: 'UO', limit: 'http2MaxRequests' });
    g.finished();
    assert.equal(g.request(true).admitted, true);
  });

  it('a waiting request can still meet the in-flight limit when its connection comes', () => {
    const g = new PoolGate(limits({ http2MaxRequests: 1 }));
    g.request(true);
    g.request(false);
    assert.deepEqual(g.dispatched(), { admitted: false, flag: 'UO', limit: 'http2MaxRequests' });
    assert.deepEqual(g.counts().pending, 0);
  });

  it('a cancelled waiter frees its place', () => {
    const g = new PoolGate(limits({ maxConnections: 0, http1MaxPendingRequests: 1 }));
    assert.deepEqual(g.request(false), { admitted: true, queued: true, connect: false });
    assert.equal(g.request(false).admitted, false);
    g.cancelled();
    assert.equal(g.request(false).admitted, true);
  });

  it('opaque TCP: a connection over maxConnections is refused with UO', () => {
    const g = new PoolGate(limits({ maxConnections: 2 }));
    assert.equal(g.connect().admitted, true);
    assert.equal(g.connect().admitted, true);
    assert.deepEqual(g.connect(), { admitted: false, flag: 'UO', limit: 'maxConnections' });
    g.connectionClosed();
    assert.equal(g.connect().admitted, true);
  });

  it('maxRequestsPerConnection retires a connection; 0 never does', () => {
    assert.equal(new PoolGate(limits({ maxRequestsPerConnection: 1 })).retire(1), true);
    assert.equal(new PoolGate(limits({ maxRequestsPerConnection: 3 })).retire(2), false);
    assert.equal(new PoolGate(limits({})).retire(1_000_000), false);
  });

  it('the defaults admit a burst of 10 000 at once', () => {
    const g = new PoolGate(limits({}));
    for (let i = 0; i < 10_000; i++) assert.equal(g.request(i % 2 === 0).admitted, true);
  });

  it('counters never go negative on extra end events', () => {
    const g = new PoolGate(limits({}));
    g.finished();
    g.cancelled();
    g.connectionClosed();
    assert.deepEqual(g.counts(), { connections: 0, pending: 0, active: 0 });
  });
});
