// A sidecar's own AuthorizationPolicy resources next to the shared view: a policy
// change is a delta for the sidecars it selects and nothing for the others, and
// both ends agree on the view version after it is applied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMessage } from '../src/mesh/view-apply.js';
import type { Resource, View } from '../src/mesh/view.js';
import { withVersion } from '../src/mesh/view.js';
import type { Held, SnapshotHeld } from './held-view.js';
import { DeltaCache, deltaTo, versionOf } from './held-view.js';

const svc = withVersion({
  kind: 'service',
  name: 'service/shop/a',
  service: { name: 'a', namespace: 'shop', addresses: [], ports: [{ port: 80 }] },
});
const inbound = withVersion({
  kind: 'inbound',
  name: 'inbound',
  inbound: { mode: 'STRICT', ports: [], by: 'default' },
});
const authz = (name: string, paths: string[]): Resource =>
  withVersion({
    kind: 'authz',
    name: `authz/shop/${name}`,
    policy: {
      namespace: 'shop',
      name,
      spec: { action: 'DENY', rules: [{ to: [{ operation: { paths } }] }] },
      dryRun: false,
    },
  });
const viewOf = (...rs: Resource[]): View => new Map(rs.map((r) => [r.name, r]));
const shared = viewOf(svc);
const held = (...policies: Resource[]): SnapshotHeld => ({
  kind: 'snapshot',
  shared,
  excluded: new Map(),
  inbound,
  authz: viewOf(...policies),
});

/** What the sidecar ends with after applying the delta from `from` to `to`. */
function apply(sidecar: View, from: Held, to: SnapshotHeld): View {
  const d = deltaTo(from, to, new DeltaCache(shared));
  const applied = applyMessage(
    sidecar,
    {
      type: 'delta',
      nonce: 'n',
      version: versionOf(to),
      resources: d.resources,
      removed: d.removed,
    },
    'cluster.local',
  );
  if (!applied.ok) assert.fail(applied.error);
  return applied.view;
}

describe('held views with authorization policies', () => {
  const start = held(authz('p1', ['/admin']));
  const sidecar = viewOf(svc, inbound, authz('p1', ['/admin']));

  it('sends nothing to a sidecar whose policies did not change', () => {
    const d = deltaTo(start, held(authz('p1', ['/admin'])), new DeltaCache(shared));
    assert.deepEqual([d.resources, d.removed], [[], []]);
  });

  it('sends a changed, added or removed policy alone, and both ends agree on the version', () => {
    const changed = held(authz('p1', ['/root']), authz('p2', ['/x']));
    const d = deltaTo(start, changed, new DeltaCache(shared));
    assert.deepEqual(
      d.resources.map((r) => r.name),
      ['authz/shop/p1', 'authz/shop/p2'],
    );
    let view = apply(sidecar, start, changed);
    const removedOne = held(authz('p2', ['/x']));
    const r = deltaTo(changed, removedOne, new DeltaCache(shared));
    assert.deepEqual([r.resources.length, r.removed], [0, ['authz/shop/p1']]);
    view = apply(view, changed, removedOne);
    assert.deepEqual(
      [...view.keys()].filter((n) => n.startsWith('authz/')),
      ['authz/shop/p2'],
    );
  });

  it('brings a reconnecting sidecar from its declared versions to its policies', () => {
    const hello: Held = {
      kind: 'explicit',
      versions: new Map([
        [svc.name, svc.version],
        ['inbound', inbound.version],
        ['authz/shop/gone', 'x'],
      ]),
    };
    const d = deltaTo(hello, start, new DeltaCache(shared));
    assert.deepEqual(
      [d.resources.map((r) => r.name), d.removed],
      [['authz/shop/p1'], ['authz/shop/gone']],
    );
  });
});
