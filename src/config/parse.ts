// Config is parsed once at start-up through a schema: flags become an object, the
// schema validates it, and any problem names the flag. Unknown flags are errors.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ErrorCode, WeftError } from '../errors.js';

/**
 * Flag definitions: `--kebab-name` → `camelName`, all strings, optionally repeatable.
 * A `boolean` flag may stand alone (`--register` means true), take `=true|false`, or,
 * as older scripts wrote it, a separate `true`/`false` argument.
 */
export type FlagSpec = Record<string, { multiple?: boolean; boolean?: boolean }>;

/** Rewrites boolean flags to `--name=value` so one string-typed parser reads them all. */
function normalizeBooleans(args: readonly string[], spec: FlagSpec): string[] {
  const booleans = new Set(
    Object.entries(spec)
      .filter(([, o]) => o.boolean)
      .map(([name]) => `--${name}`),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return [...out, ...args.slice(i)];
    if (!booleans.has(arg)) {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    const explicit = next === 'true' || next === 'false';
    out.push(`${arg}=${explicit ? next : 'true'}`);
    if (explicit) i++;
  }
  return out;
}

const camel = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseFlags(args: readonly string[], spec: FlagSpec): Record<string, unknown> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: normalizeBooleans(args, spec),
      options: Object.fromEntries(
        Object.entries(spec).map(([name, o]) => [name, { type: 'string', multiple: !!o.multiple }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (cause) {
    throw new WeftError(ErrorCode.ConfigInvalid, (cause as Error).message, { cause });
  }
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [camel(k), v]));
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = i.path.map(String).map(kebab).join('.');
    return key ? `--${key}: ${i.message}` : i.message;
  });
  throw new WeftError(ErrorCode.ConfigInvalid, `invalid configuration: ${problems.join('; ')}`);
}
