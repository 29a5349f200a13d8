// paths/notPaths: Istio's string match, plus the URI templates Istio took from
// Envoy: `{*}` one path segment, `{**}` any remainder (zero or more segments,
// the last operator). A template may not also use a leading or trailing `*`.
// Matched against the path without its query string, as Envoy's url_path.
import type { StringKeys, StringMatcher } from './string-match.js';
import { compileStrings } from './string-match.js';

const OPERATOR = /\{\*\*?\}/g;
const HAS_OPERATOR = /\{\*\*?\}/;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A template → a regex, or why it is not a valid one. */
function compileTemplate(t: string): RegExp | { error: string } {
  if (t.startsWith('*') || t.endsWith('*')) {
    return { error: `"${t}" mixes a {*}/{**} template with a * wildcard` };
  }
  if (!t.startsWith('/')) return { error: `"${t}": a path template must start with /` };
  const ops = t.match(OPERATOR) ?? [];
  if (ops.slice(0, -1).includes('{**}')) {
    return { error: `"${t}": {**} must be the last operator of a path template` };
  }
  const source = t
    .split(OPERATOR)
    .map(escape)
    .reduce(
      (acc, lit, i) => acc + (i > 0 ? (ops[i - 1] === '{**}' ? '.*' : '[^/]+') : '') + lit,
      '',
    );
  return new RegExp(`^${source}$`);
}

export function compilePaths(values: readonly string[]): {
  match: StringMatcher;
  errors: string[];
  literalStars: string[];
  /** As compileStrings gives them; none when a template is among the values. */
  keys: StringKeys | undefined;
} {
  const plain = values.filter((v) => !HAS_OPERATOR.test(v));
  const templates: RegExp[] = [];
  const errors: string[] = [];
  for (const v of values) {
    if (!HAS_OPERATOR.test(v)) continue;
    const r = compileTemplate(v);
    if (r instanceof RegExp) templates.push(r);
    else errors.push(r.error);
  }
  const strings = compileStrings(plain);
  // Without templates the string matcher alone: no closure for .some() per request.
  const match: StringMatcher =
    templates.length === 0
      ? strings.match
      : (p) => strings.match(p) || templates.some((r) => r.test(p));
  const keys = templates.length === 0 && errors.length === 0 ? strings.keys : undefined;
  return { match, errors, literalStars: [...strings.literalStars], keys };
}
