// Reads the mesh config file (YAML or JSON) through the schema. A problem names
// the field by its path (`services.0.endpoints.2.identity: …`).
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import type { z } from 'zod';
import { ErrorCode, WeftError } from '../errors.js';
import { MeshConfigSchema } from './config.js';
import type { MeshConfig } from './config.js';
import { flowDepth } from './flow-depth.js';

/** Far above the five levels a mesh config uses; bounds the YAML parser's work. */
export const MAX_FLOW_DEPTH = 32;

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 10)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function parseMeshConfig(text: string, source: string): MeshConfig {
  if (flowDepth(text, MAX_FLOW_DEPTH) > MAX_FLOW_DEPTH) {
    throw new WeftError(
      ErrorCode.ConfigInvalid,
      `${source}: nested deeper than ${MAX_FLOW_DEPTH} levels of [ ] or { }`,
    );
  }
  let raw: unknown;
  try {
    // logLevel error: a bad file is refused with its message, not warned about on stderr.
    raw = YAML.parse(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (cause) {
    throw new WeftError(ErrorCode.ConfigInvalid, `${source}: not YAML or JSON: ${String(cause)}`, {
      cause,
    });
  }
  const result = MeshConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new WeftError(ErrorCode.ConfigInvalid, `${source}: ${describe(result.error.issues)}`);
  }
  return result.data;
}

export async function loadMeshConfig(file: string): Promise<MeshConfig> {
  return parseMeshConfig(await readFile(file, 'utf8'), file);
}
