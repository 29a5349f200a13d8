// Installs weft's manifests into a test control plane and runs the CA in-process
// as its own ServiceAccount, so tests exercise the shipped RBAC.
import assert from 'node:assert/strict';
import { CaConfigSchema } from '../../ca/config.js';
import type { CaConfig } from '../../ca/config.js';
import { startCa } from '../../ca/main.js';
import type { RunningCa } from '../../ca/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { eventually, serviceAccountKubeconfig } from './cluster.js';
import { kubectl } from './kubectl.js';

/** weft's own manifests as `kubectl apply` arguments (the default install plus optional/). */
export const WEFT_MANIFESTS = [
  '-f',
  'manifests/',
  '-f',
  'manifests/crds/',
  '-f',
  'manifests/optional/',
] as const;

export async function installManifests(cp: ControlPlane): Promise<void> {
  // Not -R: manifests/gateway-api/ holds the vendored Gateway API CRDs, which need a
  // server-side apply (installGatewayApi in gateway-api.ts) and only where routes are tested.
  const applied = await kubectl(cp.kubeconfigPath, ['apply', ...WEFT_MANIFESTS]);
  assert.equal(applied.code, 0, applied.stderr);
  // Every weft CRD, not one: discovery serves no stream until it has listed every kind.
  const established = await kubectl(cp.kubeconfigPath, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    '-f',
    'manifests/crds/',
  ]);
  assert.equal(established.code, 0, established.stderr);
  await eventually('weft CRDs to be served', async () => {
    const r = await kubectl(cp.kubeconfigPath, [
      'get',
      'workloadidentities,authorizationpolicies',
      '-A',
    ]);
    return r.code === 0 ? true : undefined;
  });
}

export interface TestCa {
  readonly ca: RunningCa;
  /** Kubeconfig of the CA's ServiceAccount. */
  readonly kubeconfig: string;
  /** Log lines the CA wrote (JSON). */
  readonly logs: string[];
  restart(): Promise<RunningCa>;
}

export function caConfigFor(kubeconfig: string, extra: Record<string, unknown> = {}): CaConfig {
  return parseConfig(CaConfigSchema, {
    listen: '127.0.0.1:0',
    kubeconfig,
    reloadSeconds: '1',
    tokenCacheSeconds: '0',
    ...extra,
  });
}

export async function startTestCa(
  cp: ControlPlane,
  extra: Record<string, unknown> = {},
): Promise<TestCa> {
  const logs: string[] = [];
  const log = createLogger({ component: 'ca' }, 'info', (l) => logs.push(l));
  const kubeconfig = await serviceAccountKubeconfig(cp, 'weft-system', 'weft-control-plane');
  const start = (): Promise<RunningCa> =>
    startCa(caConfigFor(kubeconfig, extra), createRegistry('ca'), log);
  const state = { ca: await start() };
  return {
    get ca() {
      return state.ca;
    },
    kubeconfig,
    logs,
    async restart() {
      await state.ca.stop();
      state.ca = await start();
      return state.ca;
    },
  };
}
