// Runs the real kubectl against a test control plane. kube-apiserver is 1.34, so
// prefer a kubectl within the version-skew policy (1.33+) when the machine has one.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [
  process.env.WEFT_KUBECTL,
  '/usr/lib/google-cloud-sdk/bin/kubectl.1.33',
  '/usr/lib/google-cloud-sdk/bin/kubectl',
].filter((p): p is string => typeof p === 'string' && p !== '');

export const kubectlBinary: string = CANDIDATES.find((p) => existsSync(p)) ?? 'kubectl';

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Runs kubectl against `kubeconfig` (through $KUBECONFIG, since kubectl refuses
 * flags before a plugin's name); never throws on a non-zero exit (the result says).
 */
export function kubectl(
  kubeconfig: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  stdin?: string,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlBinary,
      [...args],
      { env: { ...env, KUBECONFIG: kubeconfig }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ stdout, stderr: stderr || (err ? err.message : ''), code });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}
