// How bench:sidecar measures rows that are to be compared (the weft pair without
// and with policies or routes, and the direct path): not one long window per row,
// one after the other — the first row measured then has the longer tail, whatever
// it is — but short blocks in rounds, each round visiting every row, the order
// rotated from round to round so that each row takes each place in turn. A row's
// figure is the median of its blocks; a row's cost against the baseline is the
// median, over rounds, of the difference within the round (blocks a few seconds
// apart, under the same load). Pure: the schedule and the arithmetic.

/** What one block measured. */
export interface Block {
  readonly round: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly qps: number;
  readonly requests: number;
  readonly errors: number;
  /** CPU-seconds of the row's proxies per 1000 requests (NaN: no proxy). */
  readonly cpuPer1000: number;
}

/** Rounds of rows: round r is the row list rotated by r (a Latin square when rounds = rows). */
export function schedule<T>(rows: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, r) => rows.map((_, i) => rows[(i + r) % rows.length]!));
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export interface RowSummary extends Omit<Block, 'round'> {
  readonly blocks: number;
}

/** A row's medians over its blocks (requests and errors: totals). */
export function summarize(blocks: readonly Block[]): RowSummary {
  const of = (f: (b: Block) => number): number => median(blocks.map(f));
  return {
    p50: of((b) => b.p50),
    p90: of((b) => b.p90),
    p99: of((b) => b.p99),
    max: of((b) => b.max),
    qps: of((b) => b.qps),
    requests: blocks.reduce((s, b) => s + b.requests, 0),
    errors: blocks.reduce((s, b) => s + b.errors, 0),
    cpuPer1000: of((b) => b.cpuPer1000),
    blocks: blocks.length,
  };
}

export interface Paired {
  /** Median over rounds of row CPU / baseline CPU − 1. */
  readonly addedCpuFraction: number;
  /** Median over rounds of row p99 − baseline p99 (ms). */
  readonly addedP99Ms: number;
  /** Median over rounds of row p50 − baseline p50 (ms). */
  readonly addedP50Ms: number;
  /** The per-round figures the medians are taken over. */
  readonly rounds: readonly { round: number; cpu: number; p99: number }[];
}

/** A row against the baseline, round by round (rounds where either is missing are left out). */
export function paired(row: readonly Block[], baseline: readonly Block[]): Paired {
  const base = new Map(baseline.map((b) => [b.round, b]));
  const rounds = row.flatMap((b) => {
    const a = base.get(b.round);
    return a
      ? [
          {
            round: b.round,
            cpu: b.cpuPer1000 / a.cpuPer1000 - 1,
            p99: b.p99 - a.p99,
            p50: b.p50 - a.p50,
          },
        ]
      : [];
  });
  return {
    addedCpuFraction: median(rounds.map((r) => r.cpu)),
    addedP99Ms: median(rounds.map((r) => r.p99)),
    addedP50Ms: median(rounds.map((r) => r.p50)),
    rounds: rounds.map(({ round, cpu, p99 }) => ({ round, cpu, p99 })),
  };
}
