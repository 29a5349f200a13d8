// Config is parsed once at start-up through a schema: flags become an object, the
// schema validates it, and any problem names the flag. Unknown flags are errors.
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ErrorCode, WeftError } from '../errors.js';

/** Flag definitions: `--kebab-name` → `camelName`, all strings, optionally repeatable. */
export type FlagSpec = Record<string, { multiple?: boolean }>;

const camel = (flag: string): string =>
  flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseFlags(args: readonly string[], spec: FlagSpec): Record<string, unknown> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: [...args],
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
