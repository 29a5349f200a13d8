// In-process A/B for the micro-benchmarks: one operation from this build and from
// another (WEFT_BENCH_BASE: the dist/ of a build of the commit to compare with),
// alternated round by round in one process so the shared machine's load falls on
// both alike. Each variant's best round is its figure (CPU time per operation).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A module of the base build (its path under dist/), or undefined without WEFT_BENCH_BASE. */
export async function baseModule<T>(rel: string): Promise<T | undefined> {
  const base = process.env.WEFT_BENCH_BASE;
  if (!base) return undefined;
  return (await import(pathToFileURL(path.resolve(base, rel)).href)) as T;
}

export type Op = () => unknown;

/** CPU ns per call of `op` over `n` calls (awaiting it when it returns a promise). */
async function round(op: Op, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = op();
    if (r instanceof Promise) await r;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

/** Runs the variants alternately `rounds` times after a warm-up; prints and returns each best. */
export async function ab(
  name: string,
  variants: Readonly<Record<string, Op>>,
  o: { n: number; rounds: number },
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (const op of Object.values(variants)) await round(op, Math.min(o.n, 20_000));
  for (let r = 0; r < o.rounds; r++) {
    for (const [label, op] of Object.entries(variants)) {
      const ns = await round(op, o.n);
      best[label] = Math.min(best[label] ?? Infinity, ns);
    }
  }
  const cells = Object.entries(best).map(([l, ns]) => `${l} ${ns.toFixed(0).padStart(6)} ns`);
  process.stdout.write(`${name.padEnd(52)} ${cells.join('   ')}  (best of ${o.rounds} × ${o.n})\n`);
  return best;
}
