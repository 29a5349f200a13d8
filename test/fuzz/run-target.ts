// Runs one fuzz target for a number of inputs with a given seed, bounding the
// time each input may take. Used by `npm run fuzz` (long) and by the unit test
// (short); both print the seed, so any failure reproduces with --seed/--path.
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { knownFinding } from './known-findings.js';
import type { FuzzTarget } from './target.js';
import { FuzzViolation } from './target.js';

export interface RunOptions {
  readonly runs: number;
  readonly seed: number;
  /** fast-check's replay path, from a previous failure's report. */
  readonly path?: string | undefined;
  /** Slow-input bound multiplier (a loaded CI machine gets more slack). */
  readonly slack?: number;
  /** Called after every input, with the count so far. */
  readonly onInput?: (done: number) => void;
}

export interface RunResult {
  readonly target: string;
  readonly runs: number;
  readonly seconds: number;
  readonly slowestMs: number;
  /** Inputs that hit a known finding (known-findings.ts), by its id. */
  readonly known: Readonly<Record<string, number>>;
  /** fast-check's report of the first violation, shrunk; undefined when none. */
  readonly failure: string | undefined;
}

/** One input, timed; a slow input is run again before it counts (a GC pause is not a finding). */
async function timed<T>(target: FuzzTarget<T>, input: T, boundMs: number): Promise<number> {
  let ms = Infinity;
  for (let attempt = 0; attempt < 2 && ms > boundMs; attempt++) {
    const started = performance.now();
    await target.check(input);
    ms = performance.now() - started;
  }
  if (ms > boundMs) {
    throw new FuzzViolation(`input took ${ms.toFixed(1)} ms (bound ${boundMs} ms), twice`);
  }
  return ms;
}

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;

/** The shrunk input, the replay path and the violation with its stack, kept readable. */
function report<T>(details: fc.RunDetails<[T]>): string {
  const err = details.errorInstance;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  return [
    `counterexample: ${clip(fc.stringify(details.counterexample?.[0]), 2000)}`,
    `replay: --seed ${details.seed} --path ${details.counterexamplePath ?? ''}`,
    `violation: ${clip(err instanceof Error ? (err.stack ?? err.message) : String(err), 3000)}`,
    ...(cause ? [`cause stack: ${clip(cause.stack ?? '', 2000)}`] : []),
  ].join('\n');
}

export async function runTarget<T>(target: FuzzTarget<T>, opts: RunOptions): Promise<RunResult> {
  const boundMs = target.maxMsPerInput * (opts.slack ?? 1);
  let done = 0;
  let slowestMs = 0;
  const known: Record<string, number> = {};
  const property = fc.asyncProperty(target.arbitrary, async (input) => {
    try {
      slowestMs = Math.max(slowestMs, await timed(target, input, boundMs));
    } catch (err) {
      const finding = knownFinding(target.name, err);
      if (!finding) throw err;
      known[finding.id] = (known[finding.id] ?? 0) + 1;
    }
    done++;
    opts.onInput?.(done);
  });
  const started = performance.now();
  await target.open?.();
  let details;
  try {
    details = await fc.check(property, {
      numRuns: opts.runs,
      seed: opts.seed,
      ...(opts.path ? { path: opts.path } : {}),
      endOnFailure: false,
    });
  } finally {
    await target.close?.();
  }
  return {
    target: target.name,
    runs: done,
    seconds: (performance.now() - started) / 1000,
    slowestMs,
    known,
    failure: details.failed ? report(details) : undefined,
  };
}
