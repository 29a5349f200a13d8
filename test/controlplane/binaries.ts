// Finds the cached kube-apiserver and etcd built by build.sh; a missing binary is
// a clear error that says how to build it, never a silent skip.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface Binaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
}

/** The repository's test/controlplane folder (sources live beside the compiled dist/ copy). */
export const controlPlaneSourceDir: string = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/controlplane',
);

export function findBinaries(): Binaries {
  const script = path.join(controlPlaneSourceDir, 'build.sh');
  const dir = execFileSync(script, ['--print-dir'], { encoding: 'utf8' }).trim();
  const binaries = {
    etcd: path.join(dir, 'etcd'),
    kubeApiserver: path.join(dir, 'kube-apiserver'),
  };
  for (const file of Object.values(binaries)) {
    try {
      accessSync(file, constants.X_OK);
    } catch (cause) {
      throw new Error(
        `test control plane binary ${file} is missing: run 'npm run testenv:build' first`,
        { cause },
      );
    }
  }
  return binaries;
}
