// Small helpers shared by the benchmarks: percentiles, timing loops, tables, JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, i)]!;
}

export interface RunResult {
  readonly name: string;
  readonly ops: number;
  readonly wallSeconds: number;
  /** User + system CPU seconds this process spent. */
  readonly cpuSeconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Runs `op` `count` times with `concurrency` in flight, timing each. */
export async function measure(
  name: string,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<RunResult> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const s = process.hrtime.bigint();
      await op(i);
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (i > 0 && i % Math.max(1, Math.floor(count / 4)) === 0) {
        process.stderr.write(`  ${name}: ${i}/${count}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    name,
    ops: count,
    wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? NaN,
  };
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]): string =>
    '| ' + r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ') + ' |';
  process.stdout.write(
    [
      line(cells[0]!),
      '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|',
      ...cells.slice(1).map(line),
    ].join('\n') + '\n',
  );
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function writeJson(name: string, data: unknown): string {
  const dir = path.resolve(import.meta.dirname, '../../bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { measuredAt: new Date().toISOString(), node: process.version, ...(data as object) },
      null,
      2,
    ),
  );
  return file;
}
