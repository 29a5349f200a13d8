// The sidecar's view of the mesh: services, their ports and protocols, endpoints
// with the SPIFFE IDs they may present, load balancing and inbound mTLS modes.
// Today it is a static file; the control plane will stream this same shape.
import { z } from 'zod';
import { parseSpiffeId } from '../identity.js';
import { WorkloadLabels } from './workload-labels.js';

const port = z.number().int().min(1).max(65535);
export const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS-1123 label');
const spiffeId = z.string().refine((s) => {
  try {
    parseSpiffeId(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a workload SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>)');
export const ip = z.union([z.ipv4(), z.ipv6()]);

export const Protocol = z.enum(['http', 'http2', 'grpc', 'tcp']);
export type Protocol = z.infer<typeof Protocol>;

export const MtlsMode = z.enum(['STRICT', 'PERMISSIVE', 'DISABLE']);
export type MtlsMode = z.infer<typeof MtlsMode>;

export const ServicePort = z.strictObject({
  port,
  /** The pod port endpoints listen on (defaults to `port`). */
  targetPort: port.optional(),
  /** Kubernetes port name; its prefix (`http-`, `grpc-`…) names the protocol. */
  name: z.string().max(63).optional(),
  /** Kubernetes appProtocol; wins over the name. */
  appProtocol: z.string().max(63).optional(),
});
export type ServicePort = z.infer<typeof ServicePort>;

export const Endpoint = z.strictObject({
  address: ip,
  /** The SPIFFE ID this endpoint's sidecar presents. */
  identity: spiffeId,
  /** Workload (deployment) name, for metrics. */
  workload: z.string().max(253).optional(),
  /** Endpoints without a sidecar take plaintext. */
  mtls: z.boolean().default(true),
  /**
   * Target ports where the endpoint differs from `mtls` (a workload PeerAuthentication's
   * portLevelMtls): `mtls: false` takes plaintext only there (DISABLE), `true` takes mTLS.
   */
  portMtls: z
    .array(z.strictObject({ port, mtls: z.boolean() }))
    .max(256)
    .optional(),
  /** Its pod's app, version and canonical labels, for Istio's metrics. */
  labels: WorkloadLabels.optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

const LoadBalancer = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('ROUND_ROBIN') }),
  z.strictObject({ policy: z.literal('LEAST_REQUEST') }),
  z.strictObject({ policy: z.literal('RANDOM') }),
  z.strictObject({
    policy: z.literal('RING_HASH'),
    hashOn: z.union([
      z.strictObject({ header: z.string().min(1).max(256) }),
      z.strictObject({ cookie: z.string().min(1).max(256) }),
    ]),
  }),
]);
export type LoadBalancer = z.infer<typeof LoadBalancer>;

export const Service = z.strictObject({
  name,
  namespace: name,
  /** Virtual addresses (ClusterIPs) the app connects to. */
  addresses: z.array(ip).max(16).default([]),
  ports: z.array(ServicePort).min(1).max(256),
  loadBalancer: LoadBalancer.default({ policy: 'ROUND_ROBIN' }),
  endpoints: z.array(Endpoint).max(10_000).default([]),
});
export type Service = z.infer<typeof Service>;

export const InboundPort = z.strictObject({
  port,
  mode: MtlsMode.optional(),
  protocol: Protocol.optional(),
});

/**
 * An AuthorizationPolicy that selects this workload, as discovery streams it (or a
 * mesh file names it): the raw spec, compiled by the sidecar with src/authz. The
 * spec is not checked here: a spec that does not compile is still applied, in its
 * fail-closed form (an invalid DENY denies, an invalid ALLOW matches nothing), so a
 * bad policy can never make a whole config refused and leave the previous one open.
 */
export const AuthzPolicyEntry = z.strictObject({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  spec: z.unknown(),
  /** The policy's `weft.dev/dry-run: "true"` annotation: evaluated, logged, not enforced. */
  dryRun: z.boolean().default(false),
});
export type AuthzPolicyEntry = z.infer<typeof AuthzPolicyEntry>;

/**
 * A Gateway API HTTPRoute or GRPCRoute (GAMMA: a parentRef naming a Service), as
 * discovery streams it or a mesh file names it: the envelope src/routes needs and
 * the raw spec, compiled by the sidecar with src/routes. As with authorization,
 * the spec is not checked here: compileRoute never throws, drops an invalid rule
 * by name and marks an unusable route invalid, so one bad route cannot make the
 * whole config refused.
 */
export const RouteEntry = z.strictObject({
  kind: z.enum(['HTTPRoute', 'GRPCRoute']),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  /** metadata.creationTimestamp: the spec's first tie-breaker between routes. */
  creationTimestamp: z.string().max(64),
  generation: z.number().int().min(0).optional(),
  spec: z.unknown(),
  /**
   * Backend Services (`namespace/name`) the route may not send to: a cross-namespace
   * backendRef that no ReferenceGrant allows (discovery decides; absent when none).
   * The sidecar answers 500 for the requests the rule would send there, as the spec
   * asks of an invalid backendRef, and mirrors nothing to them.
   */
  refusedBackends: z.array(z.string().max(507)).max(1000).optional(),
});
export type RouteEntry = z.infer<typeof RouteEntry>;

/**
 * A weft TrafficPolicy (resilience for a Service's callers), as discovery streams
 * it or a mesh file names it: the envelope src/traffic needs and the raw spec,
 * compiled by the sidecar (compileTrafficPolicy never throws; an invalid policy
 * applies nowhere). Unchecked here for the same reason as routes: one bad policy
 * must not make the whole config refused.
 */
export const TrafficPolicyEntry = z.strictObject({
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
  /** metadata.creationTimestamp: the oldest policy on a Service wins. */
  creationTimestamp: z.string().max(64),
  generation: z.number().int().min(0).optional(),
  spec: z.unknown(),
});
export type TrafficPolicyEntry = z.infer<typeof TrafficPolicyEntry>;

/**
 * A pod known by its address (discovery's `pod/<ip>` lookups): who it is, for the
 * metrics about a caller and for a connection dialled to that pod's IP directly.
 * `services` names (`<ns>/<name>`) the Services whose endpoints it is.
 */
export const PodEntry = Endpoint.extend({
  services: z.array(z.string().max(127)).max(64).default([]),
});
export type PodEntry = z.infer<typeof PodEntry>;

/**
 * A bound on what a sidecar compiles, not a property of meshes: scoped sidecars hold
 * the catalog of every Service (≈ 200 B each; 20 000 Services ≈ 4 MB, compiled in
 * well under a second) and endpoints only for the few they call.
 */
export const MAX_SERVICES = 50_000;

export const MeshConfigSchema = z.strictObject({
  clusterDomain: z.string().min(1).max(253).default('cluster.local'),
  inbound: z
    .strictObject({
      mode: MtlsMode.default('STRICT'),
      ports: z.array(InboundPort).max(256).default([]),
    })
    .default({ mode: 'STRICT', ports: [] }),
  services: z.array(Service).max(MAX_SERVICES).default([]),
  /** Pods looked up by address (discovery only), for callers' metrics and direct pod dials. */
  pods: z.array(PodEntry).max(100_000).default([]),
  /** The AuthorizationPolicies that select this workload (inbound enforcement). */
  authorization: z.array(AuthzPolicyEntry).max(10_000).default([]),
  /** Every HTTPRoute/GRPCRoute with a Service parent (outbound routing, client side). */
  routes: z.array(RouteEntry).max(10_000).default([]),
  /** Every TrafficPolicy (outbound resilience, client side: pool, outliers, retries, faults). */
  trafficPolicies: z.array(TrafficPolicyEntry).max(10_000).default([]),
  /** This sidecar's own workload and labels, for the metrics it reports (from discovery). */
  self: z.strictObject({ workload: z.string().max(253), labels: WorkloadLabels }).optional(),
});
export type MeshConfig = z.infer<typeof MeshConfigSchema>;
