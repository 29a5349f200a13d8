// `npm run fuzz`: the long run. Splits --runs inputs (default 1,000,000) over the
// targets by weight, prints the seed first and progress as it goes, and exits 1
// on any violation, uncaught exception or unhandled rejection.
//
//   npm run fuzz                                  # 1M inputs, random seed
//   npm run fuzz -- --runs 20000 --seed 42        # reproduce a run
//   npm run fuzz -- --only csr --seed 42 --path 17:3   # replay one failure
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runTarget } from './run-target.js';
import type { RunResult } from './run-target.js';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    only: { type: 'string', multiple: true },
    path: { type: 'string' },
    slack: { type: 'string', default: '1' },
  },
  strict: true,
});

const total = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : randomInt(2 ** 31 - 1);
const slack = Number(values.slack);
if (!Number.isSafeInteger(total) || total < 1)
  throw new Error(`--runs: "${values.runs}" is not a count`);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed: "${values.seed}" is not an integer`);
if (!(slack >= 1)) throw new Error(`--slack: "${values.slack}" must be at least 1`);
const targets = values.only ? TARGETS.filter((t) => values.only!.includes(t.name)) : TARGETS;
if (!targets.length)
  throw new Error(
    `--only: no target named ${values.only?.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`,
  );

// A crash anywhere, even in a callback no property awaits, fails the run.
const crashes: string[] = [];
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    crashes.push(`${event}: ${text}`);
    console.error(`CRASH (${event}): ${text}`);
  });
}

const weights = targets.reduce((sum, t) => sum + t.weight, 0);
console.log(`weft fuzz: seed ${seed}, ${total} inputs over ${targets.length} targets`);
const results: RunResult[] = [];
const started = Date.now();
for (const target of targets) {
  const runs = Math.max(1, Math.round((total * target.weight) / weights));
  let last = Date.now();
  const result = await runTarget(target, {
    runs,
    seed,
    path: values.path,
    slack,
    onInput: (done) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      console.log(`  ${target.name}: ${done}/${runs}`);
    },
  });
  results.push(result);
  const rate = Math.round(result.runs / result.seconds);
  console.log(
    `${target.name}: ${result.runs} inputs in ${result.seconds.toFixed(1)} s (${rate}/s), slowest ${result.slowestMs.toFixed(1)} ms, ${result.failure ? 'VIOLATION' : 'ok'}`,
  );
  for (const [id, count] of Object.entries(result.known)) {
    console.log(`  known finding ${id}: ${count} inputs (see known-findings.ts)`);
  }
  if (result.failure) {
    console.log(result.failure);
    console.log(`reproduce: npm run fuzz -- --only ${target.name} --seed ${seed} --runs ${runs}`);
  }
}
const inputs = results.reduce((sum, r) => sum + r.runs, 0);
const failed = results.filter((r) => r.failure).map((r) => r.target);
console.log(
  `total: ${inputs} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}; violations: ${failed.length ? failed.join(', ') : 'none'}; crashes: ${crashes.length}`,
);
process.exitCode = failed.length || crashes.length ? 1 : 0;
