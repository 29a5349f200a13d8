import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import type { V1Namespace } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import { NamespaceLabels } from './namespaces.js';

const log = createLogger({}, 'error', () => undefined);

/** A namespace reader that counts GETs; only `shop` exists. */
function reader(): { reads: string[]; read: (name: string) => Promise<V1Namespace> } {
  const reads: string[] = [];
  return {
    reads,
    read: async (name) => {
      reads.push(name);
      await new Promise((r) => setImmediate(r));
      if (name === 'shop')
        return {
          metadata: { name, labels: { 'weft.dev/inject': 'enabled' }, annotations: { a: 'b' } },
        };
      throw new ApiException(404, 'not found', '{}', {});
    },
  };
}

describe('namespace lookups', () => {
  it('remembers a missing namespace briefly: one GET per name per TTL, however many reviews', async () => {
    let now = 0;
    const r = reader();
    const cache = new NamespaceLabels(new KubeConfig(), log, {
      read: r.read,
      now: () => now,
      negativeTtlMs: 10_000,
    });
    for (let i = 0; i < 50; i++) assert.deepEqual((await cache.get('ghost')).labels, {});
    assert.deepEqual(r.reads, ['ghost']);
    now = 10_000; // the TTL has passed: believe the API server again
    await cache.get('ghost');
    assert.deepEqual(r.reads, ['ghost', 'ghost']);
  });

  it('shares one GET between concurrent lookups of a name', async () => {
    const r = reader();
    const cache = new NamespaceLabels(new KubeConfig(), log, { read: r.read });
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get('ghost')));
    assert.equal(all.length, 20);
    assert.deepEqual(r.reads, ['ghost']);
  });

  it('is bounded: past maxNegative names, the oldest is forgotten', async () => {
    const r = reader();
    const cache = new NamespaceLabels(new KubeConfig(), log, { read: r.read, maxNegative: 3 });
    for (const n of ['a', 'b', 'c', 'd']) await cache.get(n);
    await cache.get('d');
    await cache.get('b');
    assert.deepEqual(r.reads, ['a', 'b', 'c', 'd']);
    await cache.get('a'); // evicted by d
    assert.deepEqual(r.reads, ['a', 'b', 'c', 'd', 'a']);
  });

  it('caches a namespace that exists, with its annotations, and forgets "missing" when the watch delivers it', async () => {
    const r = reader();
    const cache = new NamespaceLabels(new KubeConfig(), log, { read: r.read });
    const shop = await cache.get('shop');
    assert.deepEqual(shop, {
      name: 'shop',
      labels: { 'weft.dev/inject': 'enabled' },
      annotations: { a: 'b' },
    });
    await cache.get('shop');
    await cache.get('late');
    cache.remember({ metadata: { name: 'late', labels: { x: 'y' } } });
    assert.deepEqual((await cache.get('late')).labels, { x: 'y' });
    assert.deepEqual(r.reads, ['shop', 'late']);
  });

  it('answers 503 (unavailable) when the API server cannot be reached, and does not cache it', async () => {
    let reads = 0;
    const cache = new NamespaceLabels(new KubeConfig(), log, {
      read: () => {
        reads++;
        return Promise.reject(new Error('ECONNREFUSED'));
      },
    });
    await assert.rejects(cache.get('x'), (e: { status?: number }) => e.status === 503);
    await assert.rejects(cache.get('x'));
    assert.equal(reads, 2);
  });
});
