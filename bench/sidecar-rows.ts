// Which rows `npm run bench:sidecar` measures: all by default, or those named in
// ROWS (comma-separated), so one row (the authorization one, say) can be measured
// in a few minutes when the machine is quiet instead of the whole run.

/** The rows, in the order the run measures them. */
export const BENCH_ROWS = [
  'direct',
  'weft',
  'weft-authz',
  'weft-routes',
  'weft-retry',
  'nginx',
  'haproxy',
  'h2',
] as const;
export type BenchRow = (typeof BENCH_ROWS)[number];

/**
 * ROWS as a set. `weft-authz`, `weft-routes` and `weft-retry` are reported against
 * `weft` (same run, no policy or route), so they bring `weft` with them; every row's added latency is against `direct`, which is
 * always measured. Unknown names are refused with the list of known ones.
 */
export function chosenRows(text: string | undefined): ReadonlySet<BenchRow> {
  if (text === undefined || text.trim() === '') return new Set(BENCH_ROWS);
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(BENCH_ROWS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(`ROWS: unknown ${unknown.join(', ')} (rows: ${BENCH_ROWS.join(', ')})`);
  }
  const rows = new Set<BenchRow>(['direct', ...(names as BenchRow[])]);
  // Each is reported against `weft` (same run, no policy, no route).
  for (const r of ['weft-authz', 'weft-routes', 'weft-retry'] as const)
    if (rows.has(r)) rows.add('weft');
  return new Set(BENCH_ROWS.filter((r) => rows.has(r)));
}
