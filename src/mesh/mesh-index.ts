// The mesh config compiled into lookups the proxy makes per connection and per
// request: by virtual address, by endpoint address, by Host. Pure; rebuilt on
// every config change and swapped whole, so a request sees one consistent view.
import type { AuthzPolicies } from './authz-policies.js';
import { compileAuthz } from './authz-policies.js';
import type {
  Endpoint,
  MeshConfig,
  MtlsMode,
  PodEntry,
  Protocol,
  Service,
  ServicePort,
} from './config.js';
import type { PortProtocol } from './protocol.js';
import { protocolOf } from './protocol.js';
import { anyMtls } from './endpoint-mtls.js';
import { compileRoutes } from './mesh-routes.js';
import type { MeshRoutes } from './mesh-routes.js';
import { compileTraffic } from './mesh-traffic.js';
import type { MeshTraffic } from './mesh-traffic.js';

const NO_IDENTITIES: ReadonlySet<string> = Object.freeze(new Set<string>());

export interface Target {
  readonly service: Service;
  readonly port: ServicePort;
  readonly protocol: PortProtocol;
  /** Set when the app addressed one endpoint directly (a pod IP). */
  readonly endpoint?: Endpoint;
}

export interface InboundPolicy {
  readonly mode: MtlsMode;
  readonly protocol: PortProtocol;
}

export interface MeshIndex {
  readonly config: MeshConfig;
  /** The service an outbound connection to ip:port is for, if any. */
  byDestination(address: string, port: number): Target | undefined;
  /** The service a Host / :authority names (with or without a port). */
  byHost(host: string, port: number): Target | undefined;
  inbound(port: number): InboundPolicy;
  /**
   * The pod at an address (for metrics about callers): from the endpoints held, or
   * from a `pod/<ip>` lookup; `serviceName` is a Service it backs.
   */
  endpointAt(address: string): { serviceName: string | undefined; endpoint: Endpoint } | undefined;
  /** A pod looked up by its address (discovery's pod/<ip>), if this sidecar holds it. */
  podAt(address: string): PodEntry | undefined;
  /** The service whose endpoint `address` takes traffic on `targetPort`. */
  serviceAt(address: string, targetPort: number): Service | undefined;
  /** Every SPIFFE ID the service's endpoints may present. */
  identities(service: Service): ReadonlySet<string>;
  /** The AuthorizationPolicies that select this workload, compiled. */
  readonly authz: AuthzPolicies;
  /** The Service `namespace/name` on `port` (a route's backendRef), if the config has it. */
  service(namespace: string, name: string, port: number): Target | undefined;
  /** HTTPRoutes and GRPCRoutes, compiled (outbound routing, client side). */
  readonly routes: MeshRoutes;
  /** TrafficPolicies, compiled: what callers of each Service apply. */
  readonly traffic: MeshTraffic;
}

const key = (address: string, port: number): string => `${address}|${port}`;

function hostNames(s: Service, domain: string, selfNamespace: string): string[] {
  const names = [`${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc`];
  names.push(`${s.name}.${s.namespace}.svc.${domain}`);
  // A short name means "in my namespace", as cluster DNS search paths make it.
  if (s.namespace === selfNamespace) names.push(s.name);
  return names;
}

/** Strips a port and lower-cases: `Echo.Default:80` → `echo.default`, port 80. */
export function splitHost(host: string): { name: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!m) return { name: host.toLowerCase() };
  return m[2] ? { name: m[1]!, port: Number(m[2]) } : { name: m[1]! };
}

function portFor(s: Service, port: number): ServicePort | undefined {
  return s.ports.find((p) => p.port === port) ?? (s.ports.length === 1 ? s.ports[0] : undefined);
}

/** `previous`: the index this one replaces; route versions it compiled are reused. */
export function compileMesh(
  config: MeshConfig,
  selfNamespace: string,
  previous?: MeshIndex,
): MeshIndex {
  const destinations = new Map<string, Target>();
  const hosts = new Map<string, Service>();
  const byName = new Map<string, Service>();
  const identities = new Map<Service, ReadonlySet<string>>();
  // One Target per Service port, made here: byHost and service() run per request.
  const portTargets = new Map<ServicePort, Target>();
  for (const service of config.services) {
    // Only endpoints that take mTLS vouch for an identity: a plaintext endpoint's
    // (a pod without a sidecar, a hand-made slice) is never presented.
    const vouched = service.endpoints.filter(anyMtls).map((e) => e.identity);
    identities.set(service, new Set(vouched));
    byName.set(`${service.namespace}/${service.name}`, service);
    for (const name of hostNames(service, config.clusterDomain, selfNamespace)) {
      hosts.set(name, service);
    }
    for (const port of service.ports) {
      const protocol = protocolOf(port);
      const serviceTarget = { service, port, protocol };
      portTargets.set(port, serviceTarget);
      for (const address of service.addresses) {
        destinations.set(key(address, port.port), serviceTarget);
      }
      for (const endpoint of service.endpoints) {
        const target = { service, port, protocol, endpoint };
        destinations.set(key(endpoint.address, port.targetPort ?? port.port), target);
      }
    }
  }
  const pods = new Map<string, { serviceName: string | undefined; endpoint: Endpoint }>();
  for (const service of config.services) {
    for (const endpoint of service.endpoints) {
      if (!pods.has(endpoint.address))
        pods.set(endpoint.address, { serviceName: service.name, endpoint });
    }
  }
  const looked = new Map(config.pods.map((p) => [p.address, p]));
  for (const p of config.pods) {
    const serviceName = p.services[0]?.split('/')[1];
    if (!pods.has(p.address)) pods.set(p.address, { serviceName, endpoint: p });
  }
  const inbound = new Map(config.inbound.ports.map((p) => [p.port, p]));
  return {
    config,
    byDestination: (address, port) => destinations.get(key(address, port)),
    byHost(host, port) {
      const { name, port: hostPort } = splitHost(host);
      const service = hosts.get(name);
      const servicePort = service && portFor(service, hostPort ?? port);
      return servicePort && portTargets.get(servicePort);
    },
    inbound(port) {
      const p = inbound.get(port);
      return { mode: p?.mode ?? config.inbound.mode, protocol: p?.protocol ?? 'detect' };
    },
    endpointAt: (address) => pods.get(address),
    podAt: (address) => looked.get(address),
    serviceAt: (address, targetPort) => {
      const t = destinations.get(key(address, targetPort));
      return t?.endpoint ? t.service : undefined;
    },
    // A Service object of an older index (a request that waited across a push) gets
    // the one shared empty set: no peer is vouched for, and the pool keyed on the set
    // is not rebuilt per call (balance looks the target up again; see balance.ts).
    identities: (service) => identities.get(service) ?? NO_IDENTITIES,
    authz: compileAuthz(config.authorization, selfNamespace),
    service(namespace, name, port) {
      const service = byName.get(`${namespace}/${name}`);
      const servicePort = service?.ports.find((p) => p.port === port);
      return servicePort && portTargets.get(servicePort);
    },
    routes: compileRoutes(config.routes, selfNamespace, previous?.routes),
    traffic: compileTraffic(config.trafficPolicies, previous?.traffic),
  };
}

export type { Protocol };
