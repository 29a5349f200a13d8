import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CellCounter, CellHistogram } from './metric-cells.js';

const LABELS = { reporter: 'source', response_code: '200', response_flags: '-' };
const OTHER = { reporter: 'destination', response_code: '503', response_flags: 'UH' };
const BUCKETS = [0.5, 1, 5, 10, 25];

describe('metric cells', () => {
  it("print as prom-client's histogram prints the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const cells = new CellHistogram('h_ms', 'Help text.', BUCKETS, ours);
    const prom = new Histogram({
      name: 'h_ms',
      help: 'Help text.',
      buckets: BUCKETS,
      labelNames: Object.keys(LABELS),
      registers: [theirs],
    });
    const observations: [typeof LABELS, number][] = [
      [LABELS, 0.2],
      [LABELS, 0.5], // on a bound: counted in it (le)
      [LABELS, 7],
      [LABELS, 100], // above every bound: +Inf only
      [OTHER, 3],
    ];
    for (const [labels, v] of observations) {
      cells.cell(JSON.stringify(labels), labels).observe(v);
      prom.labels(labels).observe(v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    // What tests read through registry.getSingleMetric(name).get(), too.
    const plain = (m: { values: object[] }): object[] =>
      m.values.map((v) => ({ ...v, exemplar: undefined }));
    assert.deepEqual(plain(await cells.get()), plain(await prom.get()));
  });

  it("print as prom-client's counter prints the same increments", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const cells = new CellCounter('c_total', 'Help text.', ours);
    const prom = new Counter({
      name: 'c_total',
      help: 'Help text.',
      labelNames: Object.keys(LABELS),
      registers: [theirs],
    });
    for (const [labels, by] of [
      [LABELS, 1],
      [LABELS, 1500],
      [OTHER, 2],
    ] as const) {
      cells.cell(JSON.stringify(labels), labels).inc(by);
      prom.labels(labels).inc(by);
    }
    cells.cell(JSON.stringify(LABELS), LABELS).inc();
    prom.labels(LABELS).inc();
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.equal(ours.getSingleMetric('c_total'), cells);
  });

  it('starts every label set afresh after a reset, as the registry asks', async () => {
    const registry = new Registry();
    const cells = new CellCounter('c_total', 'Help text.', registry);
    cells.cell('k', LABELS).inc();
    registry.resetMetrics();
    assert.deepEqual((await cells.get()).values, [{ labels: LABELS, value: 0 }]);
  });

  it('keeps counting through a cell its user held across a reset', async () => {
    const registry = new Registry();
    const counter = new CellCounter('c_total', 'Help text.', registry);
    const histogram = new CellHistogram('h_ms', 'Help text.', BUCKETS, registry);
    // As istio-metrics.ts does: the cells are looked up once and kept.
    const held = counter.cell('k', LABELS);
    const observed = histogram.cell('k', LABELS);
    held.inc(5);
    observed.observe(7);
    registry.resetMetrics();
    held.inc();
    observed.observe(0.2);
    assert.deepEqual((await counter.get()).values, [{ labels: LABELS, value: 1 }]);
    const count = (await histogram.get()).values.find((v) => v.metricName === 'h_ms_count');
    const sum = (await histogram.get()).values.find((v) => v.metricName === 'h_ms_sum');
    assert.deepEqual([count?.value, sum?.value], [1, 0.2]);
  });
});
