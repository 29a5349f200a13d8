// The sidecar variants `npm run bench:variants` compares in one run: each is a
// build of `weft` (its dist/cli/weft.js) and the NODE_OPTIONS it runs with, so a
// code change or a V8 flag is measured against its baseline in the same pods,
// alternating, under the same machine load.
import { z } from 'zod';

const VariantSchema = z
  .object({
    name: z.string().regex(/^[\w.+-]{1,40}$/, 'a short name: letters, digits, . + - _'),
    /** Another build's dist/cli/weft.js (default: this build). */
    bin: z.string().min(1).optional(),
    /** NODE_OPTIONS for the sidecar (default: what the injector sets, SIDECAR_NODE_OPTIONS). */
    nodeOptions: z.string().optional(),
    /**
     * Arguments to node itself, before weft.js: V8 flags that NODE_OPTIONS refuses
     * (`--single-threaded-gc`), which a container would pass in its command.
     */
    nodeArgs: z.string().optional(),
  })
  .strict();
export type Variant = z.infer<typeof VariantSchema>;

/** WEFT_VARIANTS: a JSON array of variants; unset, this build as injected. */
export function parseVariants(text: string | undefined): readonly Variant[] {
  if (text === undefined || text.trim() === '') return [{ name: 'this-build' }];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error('WEFT_VARIANTS is not JSON', { cause });
  }
  const parsed = z.array(VariantSchema).min(1).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`WEFT_VARIANTS[${issue.path.join('.')}]: ${issue.message}`);
  }
  const names = parsed.data.map((v) => v.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`WEFT_VARIANTS: the name ${twice} is used twice`);
  return parsed.data;
}

/** Round by round, every variant once per round: A B A B, so drift hits each alike. */
export function schedule<T>(variants: readonly T[], rounds: number): { round: number; v: T }[] {
  return Array.from({ length: rounds }, (_, round) => variants.map((v) => ({ round, v }))).flat();
}

/** The median of what was measured, NaN for none. */
export function median(values: readonly number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** strace -c's summary: the calls column by syscall name. */
export function parseStraceSummary(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[2] !== 'total') out[m[2]!] = Number(m[1]);
  }
  return out;
}
