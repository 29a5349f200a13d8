import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException } from '@kubernetes/client-node';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import type { StatusPass, StatusPassOptions } from './status-reconciler.js';
import { StatusReconciler } from './status-reconciler.js';
import type { StatusKind } from './status-writer.js';

interface Obj {
  readonly name: string;
  readonly rv: string;
}

const KIND: StatusKind<Obj> = {
  noun: 'Thing',
  field: 'thing',
  key: (o) => o.name,
  target: (o) => ({
    group: 'weft.dev',
    version: 'v1',
    plural: 'things',
    kind: 'Thing',
    namespace: 'ns',
    name: o.name,
    resourceVersion: o.rv,
  }),
};

const log = createLogger({}, 'error', () => undefined);

/** Every object always wants a write; PUTs answer from `answers` in turn (200 after). */
class Things extends StatusReconciler<Obj> {
  readonly puts: string[] = [];
  objects: Obj[] = [];

  constructor(answers: number[], options?: StatusPassOptions) {
    const api = {
      replaceNamespacedCustomObjectStatus: (req: { name: string }) => {
        this.puts.push(req.name);
        const code = answers.shift() ?? 200;
        if (code === 200) return Promise.resolve({});
        return Promise.reject(new ApiException(code, 'no', '{}', {}));
      },
    } as unknown as CustomObjectsApi;
    super(api, KIND, log, options);
  }

  protected snapshot(): StatusPass<Obj> {
    return { objects: this.objects, next: () => ({ changed: true, status: {} }) };
  }
}

describe('status passes', () => {
  it('tries a failed write again on a timer, when the kind asks for one', async () => {
    const t = new Things([500], { retryMs: 10 });
    t.objects = [{ name: 'a', rv: '1' }];
    await t.reconcile();
    assert.deepEqual(t.puts, ['a']);
    await sleep(50);
    assert.deepEqual(t.puts, ['a', 'a']);
    t.stop();
  });

  it('without a retry, a failed write waits for the next pass', async () => {
    const t = new Things([500]);
    t.objects = [{ name: 'a', rv: '1' }];
    await t.reconcile();
    await sleep(30);
    assert.deepEqual(t.puts, ['a']);
  });

  it('skips what this replica wrote over until the cache brings a newer version', async () => {
    const t = new Things([], { skipWrittenOver: true });
    t.objects = [{ name: 'a', rv: '1' }];
    await t.reconcile();
    await t.reconcile();
    assert.deepEqual(t.puts, ['a']);
    t.objects = [{ name: 'a', rv: '2' }];
    await t.reconcile();
    assert.deepEqual(t.puts, ['a', 'a']);
    const plain = new Things([]);
    plain.objects = [{ name: 'a', rv: '1' }];
    await plain.reconcile();
    await plain.reconcile();
    assert.deepEqual(plain.puts, ['a', 'a'], 'without the option, the stale copy is written');
  });

  it('runs one more pass for calls during a pass, and none after stop', async () => {
    const t = new Things([]);
    t.objects = [
      { name: 'a', rv: '1' },
      { name: 'b', rv: '1' },
    ];
    const first = t.reconcile();
    void t.reconcile();
    await first;
    assert.deepEqual(t.puts, ['a', 'b', 'a', 'b']);
    t.stop();
    await t.reconcile();
    assert.equal(t.puts.length, 4);
  });
});
