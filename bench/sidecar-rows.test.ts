import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BENCH_ROWS, chosenRows } from './sidecar-rows.js';

describe('bench:sidecar ROWS', () => {
  it('runs every row when ROWS is unset or empty', () => {
    assert.deepEqual([...chosenRows(undefined)], [...BENCH_ROWS]);
    assert.deepEqual([...chosenRows(' ')], [...BENCH_ROWS]);
  });

  it('runs the rows named, with direct (the baseline) and weft for weft-authz', () => {
    assert.deepEqual([...chosenRows('weft-authz')], ['direct', 'weft', 'weft-authz']);
    assert.deepEqual([...chosenRows('nginx, h2')], ['direct', 'nginx', 'h2']);
    assert.deepEqual(
      [...chosenRows('weft-routes,weft-retry')],
      ['direct', 'weft', 'weft-routes', 'weft-retry'],
    );
  });

  it('refuses an unknown row, naming the known ones', () => {
    assert.throws(() => chosenRows('weft,envoy'), {
      message:
        'ROWS: unknown envoy (rows: direct, weft, weft-authz, weft-routes, weft-retry, nginx, haproxy, h2)',
    });
  });
});
