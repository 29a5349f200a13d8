// Metric labels for both ends of a request or connection, built from the mesh
// config and verified identities only, and cached per (service, endpoint) or per
// peer so the hot path allocates nothing for them.
import { parseSpiffeId } from '../src/identity.js';
import type { Endpoint, Service } from '../src/mesh/config.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import type { WorkloadLabels } from '../src/mesh/workload-labels.js';
import type { Peers } from './istio-metrics.js';
import { UNKNOWN } from './istio-metrics.js';

export interface SelfInfo {
  readonly namespace: string;
  readonly ip: string;
  readonly workload: string;
  readonly app: string;
  readonly version: string;
  readonly principal: () => string | undefined;
}

interface Side {
  workload: string;
  namespace: string;
  principal: string;
  app: string;
  version: string;
  canonicalService: string;
  canonicalRevision: string;
}

/** A side's label values from its pod's labels (in the view), else the fallbacks given. */
function named(
  labels: WorkloadLabels | undefined,
  fallback: { app: string; canonicalService: string },
): Pick<Side, 'app' | 'version' | 'canonicalService' | 'canonicalRevision'> {
  return {
    app: labels?.app ?? fallback.app,
    version: labels?.version ?? UNKNOWN,
    canonicalService: labels?.canonicalService ?? fallback.canonicalService,
    canonicalRevision: labels?.canonicalRevision ?? UNKNOWN,
  };
}

interface Ends {
  readonly src: Side;
  readonly dst: Side;
  readonly service: Service | undefined;
  readonly domain: string;
}

function labels(reporter: string, { src, dst, service, domain }: Ends): Peers {
  return {
    reporter,
    source_workload: src.workload,
    source_canonical_service: src.canonicalService,
    source_canonical_revision: src.canonicalRevision,
    source_workload_namespace: src.namespace,
    source_principal: src.principal,
    source_app: src.app,
    source_version: src.version,
    source_cluster: 'Kubernetes',
    destination_workload: dst.workload,
    destination_workload_namespace: dst.namespace,
    destination_principal: dst.principal,
    destination_app: dst.app,
    destination_version: dst.version,
    destination_service: service ? `${service.name}.${service.namespace}.svc.${domain}` : UNKNOWN,
    destination_canonical_service: dst.canonicalService,
    destination_canonical_revision: dst.canonicalRevision,
    destination_service_name: service ? service.name : 'PassthroughCluster',
    destination_service_namespace: service ? service.namespace : UNKNOWN,
    destination_cluster: 'Kubernetes',
    // Istio's source reporter cannot see the server's policy and says "unknown".
    connection_security_policy:
      reporter === 'source' ? UNKNOWN : src.principal !== UNKNOWN ? 'mutual_tls' : 'none',
  };
}

export class PeerLabels {
  private outboundCache = new WeakMap<Service, Map<Endpoint | undefined, Peers>>();
  private inboundCache = new Map<string, Peers>();
  private passthrough: Peers | undefined;
  private principal: string | undefined;
  private index: MeshIndex | undefined;

  constructor(
    private readonly self: SelfInfo,
    private readonly mesh: () => MeshIndex,
  ) {}

  private domain(): string {
    return this.mesh().config.clusterDomain;
  }

  private selfSide(): Side {
    const principal = this.self.principal() ?? UNKNOWN;
    const index = this.mesh();
    if (principal !== this.principal || index !== this.index) {
      // A new certificate with a different identity, or a new view (labels and
      // endpoints may have changed): labels built before are stale.
      this.principal = principal;
      this.index = index;
      this.outboundCache = new WeakMap();
      this.inboundCache.clear();
      this.passthrough = undefined;
    }
    // Discovery names this pod's workload and labels; a mesh file does not.
    const own = index.config.self;
    const workload = own?.workload ?? this.self.workload;
    const fallback = { app: this.self.app, canonicalService: workload };
    return {
      workload,
      namespace: this.self.namespace,
      principal,
      ...named(own?.labels, fallback),
      ...(own ? {} : { version: this.self.version }),
    };
  }

  /** reporter=source: this pod calling `service` (on `endpoint`, if chosen). */
  outbound(service: Service | undefined, endpoint: Endpoint | undefined): Peers {
    const self = this.selfSide();
    if (!service)
      return (this.passthrough ??= labels('source', {
        src: self,
        dst: unknownSide(),
        service: undefined,
        domain: this.domain(),
      }));
    let byEndpoint = this.outboundCache.get(service);
    if (!byEndpoint) {
      byEndpoint = new Map<Endpoint | undefined, Peers>();
      this.outboundCache.set(service, byEndpoint);
    }
    let p = byEndpoint.get(endpoint);
    if (!p) {
      const workload = endpoint?.workload ?? UNKNOWN;
      const dst: Side = {
        workload,
        namespace: service.namespace,
        principal: endpoint?.mtls ? endpoint.identity : UNKNOWN,
        ...named(endpoint?.labels, { app: service.name, canonicalService: service.name }),
      };
      p = labels('source', { src: self, dst, service, domain: this.domain() });
      byEndpoint.set(endpoint, p);
    }
    return p;
  }

  /** reporter=destination: `peer` (verified SPIFFE ID, from `address`) calling this pod. */
  inbound(peer: string | undefined, address: string, port: number): Peers {
    const self = this.selfSide();
    const k = `${peer ?? ''}|${address}|${port}`;
    let p = this.inboundCache.get(k);
    if (!p) {
      const caller = this.mesh().endpointAt(address);
      // The caller's pod by its address, trusted only when its identity is the verified one.
      const known = caller && peer !== undefined && caller.endpoint.identity === peer;
      const name = caller?.serviceName ?? UNKNOWN;
      const src: Side = {
        workload: caller?.endpoint.workload ?? UNKNOWN,
        namespace: namespaceOf(peer),
        principal: peer ?? UNKNOWN,
        ...named(known ? caller.endpoint.labels : undefined, { app: name, canonicalService: name }),
      };
      const service = this.mesh().serviceAt(this.self.ip, port);
      p = labels('destination', { src, dst: self, service, domain: this.domain() });
      // Bounded: peers are endpoints in the config or verified identities; cap anyway.
      if (this.inboundCache.size < 10_000) this.inboundCache.set(k, p);
    }
    return p;
  }
}

/** The namespace in a peer's SPIFFE ID; never throws: an odd ID is recorded as unknown. */
function namespaceOf(peer: string | undefined): string {
  if (!peer) return UNKNOWN;
  try {
    return parseSpiffeId(peer).namespace;
  } catch {
    return UNKNOWN;
  }
}

const unknownSide = (): Side => ({
  workload: UNKNOWN,
  namespace: UNKNOWN,
  principal: UNKNOWN,
  app: UNKNOWN,
  version: UNKNOWN,
  canonicalService: UNKNOWN,
  canonicalRevision: UNKNOWN,
});
