// Installs the vendored Gateway API CRDs (manifests/gateway-api/, fetched by its
// fetch.sh from the Go module proxy) into a test control plane or cluster, the way
// a user does before installing weft: a server-side apply (the HTTPRoute CRD is
// too large for a client-side apply's last-applied annotation), then a wait until
// the API server serves every kind.
import assert from 'node:assert/strict';
import { kubectl } from './kubectl.js';

export type GatewayApiChannel = 'standard' | 'experimental';

/** The CRDs weft reads; the rest of the channel is installed but unused by the mesh. */
export const MESH_ROUTE_CRDS = [
  'httproutes.gateway.networking.k8s.io',
  'grpcroutes.gateway.networking.k8s.io',
  'referencegrants.gateway.networking.k8s.io',
] as const;

export async function installGatewayApi(
  kubeconfig: string,
  channel: GatewayApiChannel = 'experimental',
): Promise<void> {
  const dir = `manifests/gateway-api/${channel}/`;
  const applied = await kubectl(kubeconfig, [
    'apply',
    '--server-side',
    '--field-manager=weft-test',
    '-k',
    dir,
  ]);
  assert.equal(applied.code, 0, applied.stderr);
  const established = await kubectl(kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...MESH_ROUTE_CRDS.map((c) => `crd/${c}`),
  ]);
  assert.equal(established.code, 0, established.stderr);
}
