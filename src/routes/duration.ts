// Gateway API Duration (GEP-2257): one to four <number><unit> pairs, units h, m,
// s, ms, numbers of at most five digits, e.g. "1h", "500ms", "1m30s". "0s" means
// "no timeout" where the spec says so; the caller decides.
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const PART = /([0-9]{1,5})(h|ms|m|s)/g;
const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Milliseconds, or undefined when `s` is not a Gateway API Duration. */
export function parseDuration(s: string): number | undefined {
  if (!DURATION.test(s)) return undefined;
  let ms = 0;
  for (const [, n, unit] of s.matchAll(PART))
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms;
}
