// Counters and histograms for the per-request metrics, whose label sets are plain
// cells: a request adds to numbers it already holds. prom-client's children check
// every label name against the metric's list and rebuild the label hash string on
// each call, which with Istio's 25 labels cost about 6 µs per call, four calls per
// request (bench/PROFILE.md). The cells are exposed by the same registry as the
// rest: it reads any registered object with a name, help, type and get(), and
// prints them exactly as it prints prom-client's own counters and histograms.
import type { Metric, MetricValueWithName, Registry } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

interface Values {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: MetricValueWithName<string>[];
}

export interface CounterCell {
  inc(by?: number): void;
}

export interface HistogramCell {
  observe(value: number): void;
}

abstract class Cells<C> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly cells = new Map<string, { labels: Labels; cell: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    // The registry takes any object of this shape (registry.js reads name and get()).
    registry.registerMetric(this as unknown as Metric);
  }

  /** The cell for one label set, created on first use; `key` must identify `labels`. */
  cell(key: string, labels: Labels): C {
    let c = this.cells.get(key);
    if (!c) {
      c = { labels, cell: this.create() };
      this.cells.set(key, c);
    }
    return c.cell;
  }

  /**
   * Zeroes every cell in place (the registry's resetMetrics()). The cells stay: their
   * users hold them (istio-metrics.ts caches them per peer), and a dropped cell would
   * go on counting where nothing exports it.
   */
  reset(): void {
    for (const { cell } of this.cells.values()) this.zero(cell);
  }

  get(): Promise<Values> {
    const values = [...this.cells.values()].flatMap(({ labels, cell }) =>
      this.values(labels, cell),
    );
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }

  protected abstract create(): C;
  protected abstract zero(cell: C): void;
  protected abstract values(labels: Labels, cell: C): MetricValueWithName<string>[];
}

export class CellCounter extends Cells<CounterCell & { value: number }> {
  readonly type = 'counter';

  protected create(): CounterCell & { value: number } {
    return {
      value: 0,
      inc(by = 1) {
        this.value += by;
      },
    };
  }

  protected zero(cell: { value: number }): void {
    cell.value = 0;
  }

  protected values(labels: Labels, cell: { value: number }): MetricValueWithName<string>[] {
    return [{ labels, value: cell.value }];
  }
}

interface HistogramState extends HistogramCell {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class CellHistogram extends Cells<HistogramState> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, registry);
  }

  protected create(): HistogramState {
    const bounds = this.bounds;
    return {
      counts: bounds.map(() => 0),
      sum: 0,
      count: 0,
      observe(v) {
        this.sum += v;
        this.count += 1;
        // Prometheus buckets are `le`: the first bound at or above the value.
        for (let i = 0; i < bounds.length; i++) {
          if (v <= bounds[i]!) {
            this.counts[i]! += 1;
            return;
          }
        }
      },
    };
  }

  protected zero(c: HistogramState): void {
    c.counts.fill(0);
    c.sum = 0;
    c.count = 0;
  }

  /** As prom-client prints a histogram: cumulative `_bucket`s with `le` first, then +Inf, sum, count. */
  protected values(labels: Labels, c: HistogramState): MetricValueWithName<string>[] {
    let acc = 0;
    const bucket = `${this.name}_bucket`;
    return [
      ...this.bounds.map((le, i) => {
        acc += c.counts[i]!;
        return { metricName: bucket, labels: { le, ...labels }, value: acc };
      }),
      { metricName: bucket, labels: { le: '+Inf', ...labels }, value: c.count },
      { metricName: `${this.name}_sum`, labels, value: c.sum },
      { metricName: `${this.name}_count`, labels, value: c.count },
    ];
  }
}
