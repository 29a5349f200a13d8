// The Gateway API CRDs the conformance suite needs, at the suite's version: from
// manifests/ once weft ships them, else from the Go module cache
// (sigs.k8s.io/gateway-api <version>, config/crd/standard), applied server-side
// (the CRDs are larger than client-side apply's last-applied annotation allows).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubectlOk } from '../cluster/journey-support.js';
import { kubectl } from '../support/kubectl.js';

const run = promisify(execFile);

/** The folder of sigs.k8s.io/gateway-api@<version> in the module cache (downloaded if absent). */
async function moduleDir(suiteModule: string, version: string): Promise<string> {
  const { stdout } = await run(
    'go',
    ['mod', 'download', '-json', `sigs.k8s.io/gateway-api@${version}`],
    { cwd: suiteModule, maxBuffer: 1 << 20 },
  );
  const dir = (JSON.parse(stdout) as { Dir?: unknown }).Dir;
  if (typeof dir !== 'string')
    throw new Error(`go mod download gave no Dir for gateway-api@${version}`);
  return dir;
}

/**
 * Installs the standard-channel CRDs unless HTTPRoute's CRD is already there at
 * `version` (manifests/ or an earlier run installed it). Returns what it did.
 */
export async function ensureGatewayCrds(
  kubeconfig: string,
  suiteModule: string,
  version: string,
): Promise<string> {
  const got = await kubectl(kubeconfig, [
    'get',
    'crd',
    'httproutes.gateway.networking.k8s.io',
    '-o',
    'jsonpath={.metadata.annotations.gateway\\.networking\\.k8s\\.io/bundle-version}',
  ]);
  if (got.code === 0 && got.stdout.trim() === version) {
    return `Gateway API CRDs ${version} already installed`;
  }
  const dir = path.join(await moduleDir(suiteModule, version), 'config', 'crd', 'standard');
  await kubectlOk(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', dir]);
  await kubectlOk(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/httproutes.gateway.networking.k8s.io',
    'crd/grpcroutes.gateway.networking.k8s.io',
  ]);
  return `Gateway API CRDs ${version} applied from ${dir}`;
}
