// RegularExpression matches (paths, headers, query params, gRPC service/method)
// for patterns a route author writes and every sidecar runs per request. The
// Gateway API names RE2 syntax; RE2 runs in linear time, and V8's backtracking
// engine does not: `^(a+)+$` against a long header would hang a sidecar. So a
// pattern runs on V8's linear-time engine (the `l` flag, a breadth-first NFA),
// which refuses what it cannot run in linear time (backreferences, lookaround,
// counted repetition above 16); and syntax that RE2 and JavaScript read
// differently is refused before it gets there, never silently reinterpreted.
// Matches are full-string, as Envoy's safe_regex (Istio, and most GAMMA meshes).
import { setFlagsFromString } from 'node:v8';

export const MAX_PATTERN_LENGTH = 1024;

export type CompiledRegex = RegExp;
export type RegexResult = { regex: CompiledRegex } | { error: string };

/** RE2 syntax with another meaning (or none) in JavaScript, and why it is refused. */
const FOREIGN: readonly [RegExp, string][] = [
  [/\(\?(?!:)/, 'groups other than (?:...) (flags, names, lookaround) are not supported'],
  [/\[\[:/, 'POSIX classes like [[:alpha:]] are not supported; write the class out'],
  [/\\[1-9]/, 'backreferences are not supported (RE2 has none)'],
  [/\\[AzZQECpPk]/, 'this RE2 escape reads differently in JavaScript; write it another way'],
];

let linearEngine: boolean | undefined;
/** V8's linear-time engine (kept in a variable: ESLint's flag check predates it). */
const LINEAR: string = 'l';

/**
 * The `l` flag needs V8's experimental engine switched on; the switch only makes
 * the flag recognised, other regular expressions in the process are unchanged.
 */
function linearAvailable(): boolean {
  if (linearEngine !== undefined) return linearEngine;
  try {
    new RegExp('', LINEAR);
    linearEngine = true;
  } catch {
    setFlagsFromString('--enable-experimental-regexp-engine');
    try {
      new RegExp('', LINEAR);
      linearEngine = true;
    } catch {
      linearEngine = false;
    }
  }
  return linearEngine;
}

function foreignSyntax(pattern: string): string | undefined {
  // Escaped backslashes cannot start an escape; take them out before looking.
  const scan = pattern.replace(/\\\\/g, '');
  for (const [re, why] of FOREIGN) if (re.test(scan)) return why;
  return undefined;
}

export function compileRegex(pattern: string): RegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { error: `pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const foreign = foreignSyntax(pattern);
  if (foreign) return { error: foreign };
  if (!linearAvailable()) {
    return { error: 'the linear-time regular expression engine is unavailable in this Node.js' };
  }
  try {
    return { regex: new RegExp(`^(?:${pattern})$`, LINEAR) };
  } catch (err) {
    const msg = (err as Error).message.replace(/^Invalid regular expression: \/.*\/l: /, '');
    return {
      error:
        msg === 'Cannot be executed in linear time'
          ? 'cannot be matched in linear time (backtracking constructs, or counted repetition above {16})'
          : `invalid regular expression: ${msg}`,
    };
  }
}
