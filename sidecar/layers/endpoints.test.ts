import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import type { Exchange } from '../exchange.js';
import type { OnDemand } from '../subscriptions.js';
import { endpoints } from './endpoints.js';

/** An OnDemand that records each use and answers `outcome` for endpoints. */
function recording(outcome: 'ready' | 'timeout' | undefined) {
  const used: string[] = [];
  const onDemand: OnDemand = {
    live: true,
    endpoints: (ns, name) => {
      used.push(`endpoints/${ns}/${name}`);
      return outcome && Promise.resolve(outcome);
    },
    pod: (address) => {
      used.push(`pod/${address}`);
      return undefined;
    },
  };
  return { onDemand, used };
}

const service = { namespace: 'shop', name: 'db' };
const exchange = (endpoint?: { address: string }) =>
  ({ target: { service, ...(endpoint ? { endpoint } : {}) } }) as unknown as Exchange;

describe('endpoints layer (scoped sidecars)', () => {
  it('touches a dialled pod and its Service on every request, without waiting', async () => {
    const { onDemand, used } = recording('timeout');
    let forwarded = 0;
    const handler = endpoints(onDemand)(() => Promise.resolve(void forwarded++));
    await handler(exchange({ address: '198.18.0.7' }));
    await handler(exchange({ address: '198.18.0.7' }));
    assert.equal(forwarded, 2);
    assert.deepEqual(used, [
      'pod/198.18.0.7',
      'endpoints/shop/db',
      'pod/198.18.0.7',
      'endpoints/shop/db',
    ]);
  });

  it('waits for a Service target and fails closed when its endpoints do not come', async () => {
    const ready = endpoints(recording('ready').onDemand)(() => Promise.resolve());
    await ready(exchange());
    const late = endpoints(recording('timeout').onDemand)(() => Promise.resolve());
    await assert.rejects(late(exchange()), (e: { code?: unknown }) => {
      assert.equal(e.code, ErrorCode.EndpointsPending);
      return true;
    });
  });
});
