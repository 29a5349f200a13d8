// Golden-file comparison shared by suites: WEFT_UPDATE_GOLDEN=1 rewrites, a missing
// golden fails, and callers normalise volatile values first.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const GOLDEN_ROOT = path.resolve(import.meta.dirname, '../../../test/golden');

export function matchGolden(relative: string, actual: string): void {
  const file = path.join(GOLDEN_ROOT, relative);
  if (process.env.WEFT_UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  assert.ok(existsSync(file), `missing golden ${relative} (run with WEFT_UPDATE_GOLDEN=1)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${relative} differs from the golden`);
}
