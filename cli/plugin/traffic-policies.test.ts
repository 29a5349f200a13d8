import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTraffic, trafficView } from './traffic-policies.js';

const stored = (
  name: string,
  created: string,
  spec: Record<string, unknown>,
  status: string[] = [],
) => ({
  object: {
    namespace: 'shop',
    name,
    creationTimestamp: created,
    spec: { targetRefs: [{ group: '', kind: 'Service', name: 'reviews' }], ...spec },
  },
  status,
});

describe('kubectl weft routes: TrafficPolicies', () => {
  const svc = { namespace: 'shop', name: 'reviews' };

  it("shows weft's defaults when no policy targets the Service", () => {
    const v = trafficView(svc, []);
    assert.equal(v.inForce, null);
    assert.ok(v.settings.some((s) => s.startsWith('retries (where the route sets none): 2 on ')));
    assert.match(renderTraffic('shop/reviews', v), /^No TrafficPolicy in force on shop\/reviews/);
  });

  it('names the oldest valid policy in force, the others and their status', () => {
    const v = trafficView(svc, [
      stored('late', '2026-02-01T00:00:00Z', { retries: { attempts: 5 } }, [
        'Accepted=False/Conflicted',
      ]),
      stored('first', '2026-01-01T00:00:00Z', {
        fault: { abort: { httpStatus: 503, percentage: 10 } },
      }),
      stored('bad', '2026-01-01T00:00:00Z', { retries: { retryOn: 'sometimes' } }),
    ]);
    assert.equal(v.inForce, 'shop/first');
    assert.deepEqual(
      v.policies.map((p) => [p.name, p.inForce, p.valid]),
      [
        ['shop/late', false, true],
        ['shop/first', true, true],
        ['shop/bad', false, false],
      ],
    );
    const text = renderTraffic('shop/reviews', v);
    assert.match(text, /fault abort: HTTP 503 to 10%/);
    assert.match(text, /retries: none \(the fault disables retries and timeouts\)/);
    assert.match(
      text,
      /shop\/late: not in force \(an older policy wins\); status Accepted=False\/Conflicted/,
    );
    assert.match(text, /shop\/bad: invalid: applies nowhere/);
    assert.match(text, /problem: spec\.retries\.retryOn/);
  });
});
