import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addTrafficResources } from './build-traffic.js';
import { compileTraffic } from './mesh-traffic.js';
import { applyMessage } from './view-apply.js';
import type { Resource } from './view.js';
import { Resource as ResourceSchema, toMeshConfig, trafficKey, viewVersion } from './view.js';

const policy = (name: string, created: string, spec: Record<string, unknown>, generation = 1) => ({
  namespace: 'shop',
  name,
  creationTimestamp: created,
  generation,
  spec: { targetRefs: [{ group: '', kind: 'Service', name: 'cart' }], ...spec },
});

describe('TrafficPolicies in the view and the mesh', () => {
  it('streams each policy as traffic/<ns>/<name> and gives it back in the mesh config', () => {
    const view = new Map<string, Resource>();
    const p = policy('cart', '2026-01-01T00:00:00Z', { retries: { attempts: 4 } });
    addTrafficResources(view, [p]);
    const r = view.get(trafficKey('shop', 'cart'));
    assert.equal(r?.kind, 'traffic');
    assert.ok(ResourceSchema.safeParse(r).success);
    const config = toMeshConfig(view, 'cluster.local');
    assert.deepEqual(config.trafficPolicies, [p]);
  });

  it('is applied by a sidecar through the stream, with its version checked', () => {
    const view = new Map<string, Resource>();
    addTrafficResources(view, [policy('cart', '2026-01-01T00:00:00Z', {})]);
    const applied = applyMessage(
      new Map(),
      {
        type: 'snapshot',
        nonce: 'n',
        version: viewVersion(view),
        resources: [...view.values()],
        removed: [],
      },
      'cluster.local',
    );
    assert.ok(applied.ok);
    assert.equal(applied.config.trafficPolicies.length, 1);
  });

  it('gives a Service the oldest valid policy, with a key per policy version, else the defaults', () => {
    const older = policy('a', '2026-01-01T00:00:00Z', { retries: { attempts: 1 } });
    const newer = policy('b', '2026-02-01T00:00:00Z', { retries: { attempts: 5 } });
    const t = compileTraffic([newer, older]);
    const cart = t.forService({ namespace: 'shop', name: 'cart' });
    assert.equal(cart.policy, 'shop/a');
    assert.equal(cart.settings.retries.attempts, 1);
    assert.deepEqual(cart.overridden, ['shop/b']);
    assert.match(cart.key, /^shop\/a@1@/);
    const other = t.forService({ namespace: 'shop', name: 'db' });
    assert.equal(other.key, 'default');
    assert.equal(other.settings.retries.attempts, 2);
    // An unchanged policy version is not compiled again.
    const again = compileTraffic([newer, older], t);
    assert.equal(again.compiled[1], t.compiled[1]);
    // Made again under the same name within the same second (same generation and
    // creation time), with another spec: compiled afresh, and a new key.
    const remade = { ...older, spec: { ...older.spec, retries: { attempts: 3 } } };
    const after = compileTraffic([newer, remade], t);
    const now = after.forService({ namespace: 'shop', name: 'cart' });
    assert.equal(now.settings.retries.attempts, 3);
    assert.notEqual(now.key, cart.key);
  });

  it('names an invalid policy among the problems, and applies it nowhere', () => {
    const bad = policy('bad', '2026-01-01T00:00:00Z', { retries: { retryOn: 'sometimes' } });
    const t = compileTraffic([bad]);
    assert.equal(t.problems.length, 1);
    assert.equal(t.problems[0]!.policy, 'shop/bad');
    assert.equal(t.forService({ namespace: 'shop', name: 'cart' }).key, 'default');
  });
});
