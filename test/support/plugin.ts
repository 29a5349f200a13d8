// Puts `kubectl-weft` on a PATH of its own, as `npm install -g` would, so tests
// run the plugin through the real kubectl: `kubectl weft ...`.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PLUGIN_JS = path.resolve(import.meta.dirname, '../../cli/kubectl-weft.js');

/** An environment whose PATH finds kubectl-weft first. */
export function pluginEnv(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-plugin-'));
  const shim = path.join(dir, 'kubectl-weft');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${PLUGIN_JS}" "$@"\n`);
  chmodSync(shim, 0o755);
  return { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
}
