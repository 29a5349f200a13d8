// Violations the fuzzing found in code another branch is fixing right now. Each is
// matched narrowly (error class, message, target), counted and printed by every
// run instead of stopping it, so the rest of that target keeps being fuzzed.
// `known findings still reproduce` (fuzz.test.ts) fails once a fix lands: then
// delete the entry, and the property is strict again.
export interface KnownFinding {
  readonly id: string;
  readonly target: string;
  /** Who fixes it, and where the failure is. */
  readonly note: string;
  readonly matches: (err: unknown) => boolean;
  /** An input that shows it, for the still-reproduces test. */
  readonly reproducer: unknown;
}

// Empty: the last two (an HTTP/2 repeated field with an empty value, an HTTP/1.1
// pipelined request left unsettled) were fixed on the hardening branch.
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

export function knownFinding(target: string, err: unknown): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((k) => k.target === target && k.matches(err));
}
