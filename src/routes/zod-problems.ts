// zod issues → route problems. The API server prunes fields its CRD does not
// know, so an unknown key or enum value reaching weft is a Gateway API feature
// weft does not implement (a CORS filter, sessionPersistence...): UnsupportedValue,
// named by its field.
import type { z } from 'zod';
import type { Problem } from './types.js';

function pathOf(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    base,
  );
}

export function zodProblems(base: string, error: z.ZodError): Problem[] {
  return error.issues.map((i) => {
    const field = pathOf(base, i.path);
    if (i.code === 'unrecognized_keys') {
      return {
        field,
        reason: 'UnsupportedValue',
        message: `${i.keys.join(', ')}: not implemented by weft`,
      };
    }
    return { field, reason: 'UnsupportedValue', message: i.message };
  });
}
