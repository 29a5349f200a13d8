// The routing rows' routes must be what the sidecar applies: every one compiles
// whole, and GET /1k matches the last of the 100 rules in precedence order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import { matchRequest } from '../src/routes/index.js';
import { benchRetryRules, benchRouteRules, benchRoutes } from './sidecar-routes.js';

const meshWith = (rules: unknown[]) =>
  compileMesh(
    MeshConfigSchema.parse({
      services: [{ name: 'echo', namespace: 'bench', ports: [{ port: 80 }] }],
      routes: benchRoutes('bench', rules),
    }),
    'bench',
  );

describe('bench:sidecar routing rows', () => {
  it('100 rules in routes the sidecar accepts whole, GET /1k matching the last', () => {
    const mesh = meshWith(benchRouteRules());
    assert.deepEqual(mesh.routes.problems, []);
    assert.equal(mesh.routes.compiled.flatMap((r) => r.rules).length, 100);
    const table = mesh.routes.forCall({ namespace: 'bench', name: 'echo' }, 80)!.table;
    assert.equal(table.entries.length, 100);
    const m = matchRequest(table, { method: 'GET', path: '/1k', headers: {} });
    assert.equal(m, table.entries.at(-1));
  });

  it('the retry row compiles whole with its retry and timeouts', () => {
    const mesh = meshWith(benchRetryRules());
    assert.deepEqual(mesh.routes.problems, []);
    const rule = mesh.routes.compiled[0]!.rules[1]!;
    assert.deepEqual(rule.retry, { attempts: 2, codes: [502, 503, 504], backoffMs: 25 });
    assert.deepEqual(rule.timeouts, { request: 10_000, backendRequest: 5000 });
  });
});
