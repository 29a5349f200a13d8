// The view this sidecar holds, as its admin endpoint reports it (src/debug/sidecar-view.ts):
// the compiled mesh config in force, where it came from and how the stream stands, and
// the workload certificate only as identity, serial and validity: never the key, never
// the chain (neither is needed to debug a view, and the key must not leave the process).
import type { SidecarDiscoveryStatus, SidecarView } from '../src/debug/sidecar-view.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import type { Credentials } from './credentials.js';

export interface ViewSources {
  readonly mesh: () => MeshIndex;
  readonly creds: Pick<Credentials, 'certificate'>;
  /** Undefined when the view comes from a mesh file. */
  readonly discovery?: () => SidecarDiscoveryStatus;
}

export function sidecarView(s: ViewSources): SidecarView {
  const cert = s.creds.certificate();
  return {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'SidecarView',
    source: s.discovery ? 'discovery' : 'file',
    ...(s.discovery ? { discovery: s.discovery() } : {}),
    ...(cert
      ? {
          identity: {
            spiffeId: cert.spiffeId,
            serial: cert.serial,
            notBefore: cert.notBefore.toISOString(),
            notAfter: cert.notAfter.toISOString(),
          },
        }
      : {}),
    config: s.mesh().config,
  };
}
