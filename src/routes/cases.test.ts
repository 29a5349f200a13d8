import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTE_CASES } from './cases.js';
import type { RouteCase } from './cases.js';
import { buildTable, compileRoute, matchRequest, planRequest, selectRoutes } from './index.js';
import type { Plan } from './index.js';
import { modifyHeaders } from './filters.js';
import type { Headers } from './filters.js';

function scripted(values: readonly number[] = []): () => number {
  let i = 0;
  return () => values[i++] ?? 0.5;
}

type Outcome = { outcome: string } & Record<string, unknown>;

function forwardView(
  p: Extract<Plan, { type: 'forward' }>,
  want: Record<string, unknown>,
): Outcome {
  const got: Outcome = { outcome: 'forward', backend: p.backend.name };
  if ('route' in want) got.route = p.route;
  if ('rule' in want) got.rule = p.rule;
  if ('ruleName' in want) got.ruleName = p.ruleName;
  if ('target' in want) got.target = p.target;
  if ('host' in want) got.host = p.host;
  if ('mirrors' in want) got.mirrors = p.mirrors.map((b) => b.name);
  const pick = (h: Record<string, unknown>, names: object) =>
    Object.fromEntries(Object.keys(names).map((k) => [k, h[k]]));
  if (want.headers) got.headers = pick(p.headers, want.headers);
  if (want.responseHeaders) {
    const resp = p.responseHeaders.reduce<Headers>((h, m) => modifyHeaders(h, m), {});
    got.responseHeaders = pick(resp, want.responseHeaders);
  }
  return got;
}

function run(c: RouteCase): Outcome {
  const routes = c.routes.map(compileRoute);
  const sel = selectRoutes(routes, c.call);
  if (!sel) return { outcome: 'no-routes' };
  const m = matchRequest(buildTable(sel.routes), {
    method: c.request.method ?? 'GET',
    path: c.request.path,
    headers: c.request.headers ?? {},
  });
  if (!m) return { outcome: 'no-match' };
  const host = c.request.host ?? `${c.call.service.name}.${c.call.service.namespace}`;
  const plan = planRequest(
    m,
    {
      scheme: 'http',
      host,
      target: c.request.path,
      port: c.call.port,
      headers: c.request.headers ?? {},
    },
    scripted(c.random),
  );
  const want = c.expect as Record<string, unknown>;
  if (plan.type === 'forward') return forwardView(plan, want);
  if (plan.type === 'error') return { outcome: 'error', status: plan.status };
  return {
    outcome: 'redirect',
    status: plan.status,
    location: plan.location,
    ...('route' in want ? { route: plan.route } : {}),
  };
}

describe('route table (Gateway API v1.6.3, GAMMA)', () => {
  it('has at least 90 cases with unique names', () => {
    assert.ok(ROUTE_CASES.length >= 90, `${ROUTE_CASES.length} cases`);
    assert.equal(new Set(ROUTE_CASES.map((c) => c.name)).size, ROUTE_CASES.length);
  });
  for (const c of ROUTE_CASES) {
    it(c.name, () => {
      assert.deepEqual(run(c), c.expect);
    });
  }
});
