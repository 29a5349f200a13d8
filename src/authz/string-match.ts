// Istio's string match for every string field of a rule: "abc" exact, "abc*"
// prefix, "*abc" suffix, "*" presence (any non-empty value). A list compiles to
// one function: a Set for the exact values and short lists for the rest, so a
// long list costs one hash lookup, not a scan.

export type StringMatcher = (value: string) => boolean;

/** A list's values as the rule index (rule-index.ts) keys them: what a match must equal or start with. */
export interface StringKeys {
  readonly exact: readonly string[];
  readonly prefixes: readonly string[];
}

export interface CompiledStrings {
  readonly match: StringMatcher;
  /** Values with a `*` inside, which Istio (and weft) match literally. */
  readonly literalStars: readonly string[];
  /**
   * Set when every value is exact or `prefix*` (no `*suffix`, no `*`, no folding):
   * a value the list matches equals one of `exact` or starts with one of `prefixes`.
   */
  readonly keys: StringKeys | undefined;
}

/** One list of values as Istio reads it; `fold` lowercases both sides (hosts). */
export function compileStrings(values: readonly string[], fold = false): CompiledStrings {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const literalStars: string[] = [];
  let presence = false;
  for (const raw of values) {
    const v = fold ? raw.toLowerCase() : raw;
    if (v === '*') presence = true;
    else if (v.startsWith('*')) suffixes.push(v.slice(1));
    else if (v.endsWith('*')) prefixes.push(v.slice(0, -1));
    else {
      if (v.includes('*')) literalStars.push(raw);
      exact.add(v);
    }
  }
  const keys =
    presence || suffixes.length > 0 || fold ? undefined : { exact: [...exact], prefixes };
  return { match: specialise({ exact, prefixes, suffixes, presence, fold }), literalStars, keys };
}

/**
 * The matcher for one list; exact values only (the common shape) get their own
 * small function: the sidecar runs these per request.
 */
function specialise(l: {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
  suffixes: readonly string[];
  presence: boolean;
  fold: boolean;
}): StringMatcher {
  const { exact, prefixes, suffixes, presence, fold } = l;
  const plain = !presence && suffixes.length === 0 && !fold;
  // A Set even for one value: its cached hash rejects a different string at once,
  // where === compares two non-internalized strings character by character.
  if (plain && prefixes.length === 0) return (s) => exact.has(s);
  // One prefix alone (`/api/*`, the commonest path rule): one startsWith, where the
  // general matcher below costs a Set lookup and a loop per rule and request.
  if (plain && exact.size === 0 && prefixes.length === 1) {
    const prefix = prefixes[0]!;
    return (s) => s.startsWith(prefix);
  }
  return (input) => {
    const s = fold ? input.toLowerCase() : input;
    if (presence && s.length > 0) return true;
    if (exact.has(s)) return true;
    for (const p of prefixes) if (s.startsWith(p)) return true;
    for (const x of suffixes) if (s.endsWith(x)) return true;
    return false;
  };
}
