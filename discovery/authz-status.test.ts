import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger } from '../src/log.js';
import type { AuthorizationPolicyResource } from './authz-status.js';
import { AuthzStatusWriter } from './authz-status.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const LATER = new Date('2026-12-01T01:00:00Z');

function fakeApi() {
  const writes: { name: string; body: AuthorizationPolicyResource }[] = [];
  const api = {
    replaceNamespacedCustomObjectStatus: (req: {
      name: string;
      body: AuthorizationPolicyResource;
    }) => {
      writes.push(req);
      return Promise.resolve(req.body);
    },
  } as unknown as CustomObjectsApi;
  return { api, writes };
}

const obj = (
  spec: unknown,
  status?: AuthorizationPolicyResource['status'],
): AuthorizationPolicyResource => ({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'AuthorizationPolicy',
  metadata: { namespace: 'foo', name: 'p', generation: 3 },
  spec,
  ...(status ? { status } : {}),
});

const log = createLogger({ component: 'test' }, 'error', () => undefined);

describe('AuthorizationPolicy status', () => {
  it('marks a valid policy Accepted, with no warnings', async () => {
    const { api, writes } = fakeApi();
    await new AuthzStatusWriter(api, log, () => NOW).observe(obj({ rules: [{}] }));
    assert.deepEqual(writes[0]?.body.status?.conditions, [
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'in force',
        observedGeneration: 3,
        lastTransitionTime: NOW.toISOString(),
      },
      {
        type: 'Warnings',
        status: 'False',
        reason: 'None',
        message: 'no warnings',
        observedGeneration: 3,
        lastTransitionTime: NOW.toISOString(),
      },
    ]);
  });

  it('marks an invalid policy Invalid, naming the field, the problem and the fail-closed outcome', async () => {
    const { api, writes } = fakeApi();
    await new AuthzStatusWriter(api, log, () => NOW).observe(
      obj({ action: 'DENY', rules: [{ from: [{ source: { ipBlocks: ['1.2.3.4/33'] } }] }] }),
    );
    const accepted = writes[0]?.body.status?.conditions?.[0];
    assert.equal(accepted?.status, 'False');
    assert.equal(accepted?.reason, 'Invalid');
    assert.equal(
      accepted?.message,
      'spec.rules[0].from[0].source.ipBlocks: "1.2.3.4/33" has a prefix length outside 0-32; sidecars deny every request this policy selects until it is fixed',
    );
  });

  it('reports warnings as their own condition', async () => {
    const { api, writes } = fakeApi();
    await new AuthzStatusWriter(api, log, () => NOW).observe(
      obj({ rules: [{ to: [{ operation: { methods: ['GET'] } }] }] }),
    );
    const w = writes[0]?.body.status?.conditions?.[1];
    assert.equal(w?.status, 'True');
    assert.match(w?.message ?? '', /on TCP traffic the rule is ignored/);
  });

  it('writes only when a condition changed, and keeps transition times', async () => {
    const { api, writes } = fakeApi();
    const first = new AuthzStatusWriter(api, log, () => NOW);
    await first.observe(obj({ rules: [{}] }));
    const status = writes[0]!.body.status;
    await new AuthzStatusWriter(api, log, () => LATER).observe(obj({ rules: [{}] }, status));
    assert.equal(writes.length, 1, 'unchanged status is not written again');
    // A new generation that is still valid: rewritten, the transition time kept.
    const next = {
      ...obj({ rules: [{}] }, status),
      metadata: { namespace: 'foo', name: 'p', generation: 4 },
    };
    await new AuthzStatusWriter(api, log, () => LATER).observe(next);
    assert.equal(writes.length, 2);
    assert.equal(writes[1]!.body.status?.conditions?.[0]?.lastTransitionTime, NOW.toISOString());
    assert.equal(writes[1]!.body.status?.conditions?.[0]?.observedGeneration, 4);
  });

  it('says DryRun for a dry-run policy', async () => {
    const { api, writes } = fakeApi();
    const o = obj({});
    o.metadata!.annotations = { 'weft.dev/dry-run': 'true' };
    await new AuthzStatusWriter(api, log, () => NOW).observe(o);
    assert.equal(writes[0]?.body.status?.conditions?.[0]?.reason, 'DryRun');
  });
});
