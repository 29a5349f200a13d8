// Runs the real kubectl against a test control plane. kube-apiserver is 1.34, so
// prefer a kubectl within the version-skew policy (1.33+) when the machine has one.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

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

/** Runs kubectl with --kubeconfig; never throws on a non-zero exit (the result says). */
export async function kubectl(
  kubeconfig: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubectlResult> {
  try {
    const { stdout, stderr } = await execFileAsync(
      kubectlBinary,
      ['--kubeconfig', kubeconfig, ...args],
      { env, timeout: 60_000 },
    );
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return {
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(err),
      code: typeof e.code === 'number' ? e.code : 1,
    };
  }
}
