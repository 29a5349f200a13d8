// Reads `go test -v` output of the conformance suite into one result per test
// (TestConformance/<ShortName>) with the line that best says why it failed. The
// suite runs some tests in parallel, so output interleaves: `=== RUN`, `=== CONT`,
// `=== NAME` and `=== PAUSE` headers say whose lines follow.

export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface TestResult {
  readonly name: string;
  readonly outcome: Outcome;
  readonly seconds: number;
  /** For a failure: the suite's last error or expectation line; for a skip, its reason. */
  readonly why?: string;
}

const HEADER = /^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)/;
const RESULT = /^\s*--- (PASS|FAIL|SKIP): (\S+) \(([\d.]+)s\)/;
// What the suite prints about a test that did not pass: a skip's reason; for a
// failure, testify's message, the suite's "timeout while waiting after N attempts,
// k/3 successes", and the last request it tried with what came back.
const SKIP = /\b(Skipping\b.*\S)/;
const MESSAGE = /Messages:\s+(.*\S)/;
const TIMEOUT = /(timeout while waiting after .*\S)/;
const LAST_TRY =
  /(?:request: |Request )(\[[^\]]*\])\s*(?:failed, )?not ready yet: (.*?)\s*(?:\(after [^)]*\))?\s*$/;
const ERROR = /Error:\s+(.*\S)/;

/** The name below `root` that a (sub)test belongs to: TestConformance/A/b -> TestConformance/A. */
function topLevel(name: string, root: string): string | undefined {
  if (!name.startsWith(`${root}/`)) return undefined;
  const rest = name.slice(root.length + 1);
  const slash = rest.indexOf('/');
  return `${root}/${slash < 0 ? rest : rest.slice(0, slash)}`;
}

function last(lines: readonly string[], pattern: RegExp): RegExpExecArray | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = pattern.exec(lines[i] ?? '');
    if (m) return m;
  }
  return undefined;
}

function reasonIn(lines: readonly string[]): string | undefined {
  const skip = last(lines, SKIP)?.[1];
  if (skip) return skip;
  const tried = last(lines, LAST_TRY);
  const parts = [
    last(lines, MESSAGE)?.[1],
    last(lines, TIMEOUT)?.[1],
    tried ? `last try ${tried[1]}: ${tried[2]}` : undefined,
  ].filter((p): p is string => Boolean(p));
  const why = parts.length ? parts.join('; ') : last(lines, ERROR)?.[1];
  return why?.slice(0, 400);
}

/**
 * Tests that started but have no result: the suite was cut short (its -test.timeout
 * panics, or the run was stopped) while they ran. They count as failed.
 */
function unfinished(
  linesOf: ReadonlyMap<string, readonly string[]>,
  results: readonly TestResult[],
): TestResult[] {
  const done = new Set(results.map((r) => r.name));
  return [...linesOf]
    .filter(([name]) => !done.has(name))
    .map(([name, own]) => {
      const why = reasonIn(own);
      const suffix = why ? `; ${why}` : '';
      return {
        name,
        outcome: 'FAIL',
        seconds: 0,
        why: `did not finish (the suite stopped first)${suffix}`,
      };
    });
}

/** Results of the tests directly below `root`, in the order they finished. */
export function parseGoTestOutput(output: string, root = 'TestConformance'): TestResult[] {
  const linesOf = new Map<string, string[]>();
  const results: TestResult[] = [];
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const header = HEADER.exec(line);
    if (header?.[1]) {
      current = topLevel(header[1], root);
      if (current && !linesOf.has(current)) linesOf.set(current, []);
      continue;
    }
    const result = RESULT.exec(line);
    if (result?.[2]) {
      const name = result[2];
      if (topLevel(name, root) === name) {
        const outcome = result[1] as Outcome;
        const own = linesOf.get(name) ?? [];
        const why = outcome === 'PASS' ? undefined : reasonIn(own);
        results.push({ name, outcome, seconds: Number(result[3]), ...(why ? { why } : {}) });
      }
      continue;
    }
    if (current) {
      const own = linesOf.get(current) ?? [];
      own.push(line);
      linesOf.set(current, own);
    }
  }
  return [...results, ...unfinished(linesOf, results)];
}

/** "Skipping X: suite does not support Gateway" -> "suite does not support Gateway". */
function skipReason(r: TestResult): string {
  const why = r.why ?? '';
  const colon = why.indexOf(': ');
  return colon < 0 ? why : why.slice(colon + 2);
}

/**
 * A fixed-width table: outcome, seconds, test and why for each test that ran;
 * skipped ones grouped by reason (the suite skips every Gateway test by name).
 */
export function formatSummary(results: readonly TestResult[], root = 'TestConformance'): string {
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const rows = results
    .filter((r) => r.outcome !== 'SKIP')
    .map((r) => {
      const name = r.name.slice(root.length + 1);
      const why = r.why ? `  ${r.why}` : '';
      return `${r.outcome.padEnd(4)} ${r.seconds.toFixed(1).padStart(6)}s  ${name}${why}`;
    });
  const skips = new Map<string, number>();
  for (const r of results.filter((x) => x.outcome === 'SKIP'))
    skips.set(skipReason(r), (skips.get(skipReason(r)) ?? 0) + 1);
  const skipRows = [...skips].map(([why, n]) => `SKIP ${String(n).padStart(4)} tests: ${why}`);
  const totals = `${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`;
  return [...rows, ...skipRows, totals].join('\n');
}
