// A direct dial to a pod IP in a scoped sidecar (review of the scoping merge): once the
// pod/<ip> answer is held, its Service's endpoints must still name the target, or the
// connection would pass through as plaintext to a meshed pod.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutboundDeps } from './outbound.js';
import { podTarget } from './outbound.js';

const target = { service: { namespace: 'ns', name: 'echo' }, endpoint: { address: '198.18.0.7' } };

function deps(pod: Promise<'ready' | 'timeout'> | undefined): OutboundDeps {
  const mesh = {
    podAt: (address: string) => (address === '198.18.0.7' ? { services: ['ns/echo'] } : undefined),
    byDestination: (address: string) => (address === '198.18.0.7' ? target : undefined),
  };
  const onDemand = { pod: () => pod, endpoints: () => undefined, live: true };
  return { mesh: () => mesh, onDemand } as unknown as OutboundDeps;
}

describe('podTarget (scoped sidecar, direct dial to a pod IP)', () => {
  it('finds the pod through its Service when its lookup is already held', async () => {
    assert.deepEqual(
      await podTarget({ address: '198.18.0.7', port: 8080 }, deps(undefined)),
      target,
    );
  });
  it('finds it after a lookup that arrives', async () => {
    const arrived = Promise.resolve('ready' as const);
    assert.deepEqual(await podTarget({ address: '198.18.0.7', port: 8080 }, deps(arrived)), target);
  });
  it('refuses when the lookup times out', async () => {
    const late = Promise.resolve('timeout' as const);
    assert.equal(await podTarget({ address: '198.18.0.7', port: 8080 }, deps(late)), 'refused');
  });
  it('passes an address that is no pod through', async () => {
    assert.equal(await podTarget({ address: '198.18.9.9', port: 80 }, deps(undefined)), undefined);
  });
});
