// route-check agrees with the route table (src/routes/cases.ts) on every row: the
// row's request goes through the CLI's own flag parsing and routeCheck, and the
// answer, read as the table reads a plan, must be the row's expectation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTE_CASES } from '../../src/routes/cases.js';
import type { RouteCase } from '../../src/routes/cases.js';
import { asTableOutcome } from '../../test/support/route-check-outcome.js';
import { routeCheck } from './route-check-model.js';
import { parseRequest } from './route-check-request.js';

/** The row's request as `route-check` flags would give it. */
export function rowRequest(c: RouteCase): ReturnType<typeof parseRequest> {
  const { service, port } = c.call;
  const host = c.request.host ?? `${service.name}.${service.namespace}`;
  const headers: Record<string, string | string[]> = { ...c.request.headers, host };
  return parseRequest(
    `http://${service.name}.${service.namespace}:${port}${c.request.path}`,
    c.request.method ?? 'GET',
    headers,
  );
}

describe('kubectl weft route-check agrees with the route table', () => {
  for (const c of ROUTE_CASES) {
    it(c.name, () => {
      const view = routeCheck({
        caller: { namespace: c.call.callerNamespace },
        request: rowRequest(c),
        routes: c.routes.map((object) => ({ object, status: [] })),
      });
      assert.deepEqual(asTableOutcome(view, c), c.expect);
    });
  }
});
