import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTable, compileRoute, matchRequest } from './index.js';
import type { RouteTable } from './index.js';

const PARENT = { group: '', kind: 'Service', name: 'echo', port: 80 };
const route = (name: string, created: string, rules: unknown[]) =>
  compileRoute({
    kind: 'HTTPRoute',
    namespace: 'mesh',
    name,
    creationTimestamp: created,
    spec: { parentRefs: [PARENT], rules },
  });

/** The same table unindexed: every match tried in precedence order. */
const unindexed = (t: RouteTable): RouteTable => ({
  ...t,
  exact: new Map(),
  others: t.entries.map((_, i) => i),
});
const linear = (t: RouteTable, path: string, headers: Record<string, string>) =>
  matchRequest(unindexed(t), { method: 'GET', path, headers });

describe('the Exact path index of a route table', () => {
  const exactWithHeader = (path: string, v: string) => ({
    matches: [{ path: { type: 'Exact', value: path }, headers: [{ name: 'x-v', value: v }] }],
  });
  const table = buildTable([
    route('older', '2026-01-01T00:00:00Z', [
      exactWithHeader('/a', '1'),
      exactWithHeader('/a', '2'),
      { matches: [{ path: { type: 'PathPrefix', value: '/a' } }] },
      { matches: [{ path: { type: 'RegularExpression', value: '/a.*' }, method: 'GET' }] },
      { matches: [{ path: { type: 'Exact', value: '/b' } }] },
    ]),
    route('newer', '2026-02-01T00:00:00Z', [
      exactWithHeader('/a', '3'),
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
      { matches: [{ path: { type: 'Exact', value: '/a' } }] },
    ]),
  ]);

  it('keeps only the Exact matches of each path, and every other match, by position', () => {
    assert.deepEqual([...table.exact.keys()].sort(), ['/a', '/b'], 'one list per Exact path');
    const exact = [...table.exact.values()].flat();
    assert.equal(exact.length + table.others.length, table.entries.length);
    for (const list of [...table.exact.values(), table.others])
      assert.deepEqual(
        [...list],
        [...list].sort((x, y) => x - y),
      );
  });

  it('picks what a scan of every match in precedence order picks', () => {
    const requests: [string, Record<string, string>][] = [
      ['/a', { 'x-v': '1' }],
      ['/a', { 'x-v': '2' }],
      ['/a', { 'x-v': '3' }],
      ['/a', { 'x-v': '4' }],
      ['/a', {}],
      ['/ab', { 'x-v': '1' }],
      ['/b', {}],
      ['/b/', {}],
      ['/c', {}],
      ['/a?x=1', { 'x-v': '2' }],
    ];
    for (const [path, headers] of requests) {
      const want = linear(table, path, headers);
      const got = matchRequest(table, { method: 'GET', path, headers });
      assert.ok(want, `${path} matches something`);
      assert.equal(got, want, `${path} ${JSON.stringify(headers)}`);
    }
    // The Exact /a of the newer route, with no header, loses to older Exact /a matches
    // only when their headers hold, and beats every prefix.
    const bare = matchRequest(table, { method: 'GET', path: '/a', headers: {} });
    assert.equal(bare?.route.name, 'newer');
    assert.equal(bare?.match.path?.type, 'Exact');
  });
});
