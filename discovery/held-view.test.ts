import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMessage } from '../src/mesh/view-apply.js';
import type { Resource, View } from '../src/mesh/view.js';
import { withVersion } from '../src/mesh/view.js';
import type { Held, SnapshotHeld } from './held-view.js';
import { DeltaCache, deltaTo, versionOf } from './held-view.js';

const svc = (name: string, port = 80): Resource =>
  withVersion({
    kind: 'service',
    name: `service/shop/${name}`,
    service: { name, namespace: 'shop', addresses: [], ports: [{ port }] },
  });
const inbound = (mode: 'STRICT' | 'PERMISSIVE'): Resource =>
  withVersion({ kind: 'inbound', name: 'inbound', inbound: { mode, ports: [], by: 'default' } });
const viewOf = (...rs: Resource[]): View => new Map(rs.map((r) => [r.name, r]));

describe('held views', () => {
  const v1 = viewOf(svc('a'), svc('b'));
  const v2 = viewOf(svc('a', 81), svc('c'));
  const t1: SnapshotHeld = {
    kind: 'snapshot',
    shared: v1,
    excluded: new Map(),
    inbound: inbound('STRICT'),
  };
  const t2: SnapshotHeld = {
    kind: 'snapshot',
    shared: v2,
    excluded: new Map(),
    inbound: inbound('STRICT'),
  };

  it('brings a sidecar from its declared versions to a snapshot, then by cached deltas', () => {
    const hello: Held = {
      kind: 'explicit',
      versions: new Map([
        ['service/shop/b', svc('b').version],
        ['service/shop/gone', 'x'],
      ]),
    };
    const first = deltaTo(hello, t1, new DeltaCache(v1));
    assert.deepEqual(
      first.resources.map((r) => r.name),
      ['service/shop/a', 'inbound'],
    );
    assert.deepEqual(first.removed, ['service/shop/gone']);
    const cache = new DeltaCache(v2);
    const second = deltaTo(t1, t2, cache);
    assert.equal(cache.between(v1), cache.between(v1), 'computed once per snapshot pair');
    assert.deepEqual(second.resources.map((r) => r.name).sort(), [
      'service/shop/a',
      'service/shop/c',
    ]);
    assert.deepEqual(second.removed, ['service/shop/b']);
  });

  it('gives every first hello one shared part, encoded once however many connect', () => {
    const cache = new DeltaCache(v1);
    const fresh = (): Held => ({ kind: 'explicit', versions: new Map() });
    const a = deltaTo(fresh(), t1, cache);
    const b = deltaTo(fresh(), { ...t1, inbound: inbound('PERMISSIVE') }, cache);
    assert.equal(a.shared, b.shared, 'the same object for both sidecars');
    assert.deepEqual(
      a.shared.resources.map((r) => r.name),
      ['service/shop/a', 'service/shop/b'],
    );
    assert.deepEqual(
      b.resources.map((r) => r.name),
      ['service/shop/a', 'service/shop/b', 'inbound'],
    );
    assert.equal((b.resources.at(-1) as { inbound: { mode: string } }).inbound.mode, 'PERMISSIVE');
  });

  it('names the version the sidecar computes after applying, refused resources left out', () => {
    const held = new Map([...v1.values(), inbound('STRICT')].map((r) => [r.name, r]));
    const target: SnapshotHeld = {
      ...t2,
      excluded: new Map([['service/shop/c', svc('c').version]]),
      inbound: inbound('PERMISSIVE'),
    };
    const d = deltaTo(t1, target, new DeltaCache(v2));
    assert.ok(!d.resources.some((r) => r.name === 'service/shop/c'));
    const applied = applyMessage(
      held,
      {
        type: 'delta',
        nonce: 'n',
        version: versionOf(target),
        resources: d.resources,
        removed: d.removed,
      },
      'cluster.local',
    );
    assert.ok(applied.ok, applied.ok ? '' : applied.error);
    assert.deepEqual([...applied.view.keys()].sort(), ['inbound', 'service/shop/a']);
  });
});
