// A sidecar's view of the mesh as discovery streams it: named, versioned
// resources (delta-xDS style), each small enough to change alone.
//
//   service/<ns>/<name>    the catalog entry: addresses, ports, protocols
//   endpoints/<ns>/<name>  that service's endpoints with their identities
//   inbound                the sidecar's own inbound policy (mTLS mode per port)
//   authz/<ns>/<name>      an AuthorizationPolicy that selects this sidecar's pod
//   route/<kind>/<ns>/<name>  an HTTPRoute or GRPCRoute attached to a Service
//                          (kind lowercased: httproute, grpcroute)
//   traffic/<ns>/<name>    a TrafficPolicy (resilience for its Services' callers)
//   pod/<ip>               the pod at an address (scoped sidecars, on demand)
//
// Scoped sidecars (docs/discovery.md, "Scoping") hold every service/… entry (the
// catalog) but endpoints/… and pod/… only for the names they subscribed to.
//
// The schemas here are the sidecar's side of the contract: it parses every
// resource it receives through them and refuses (NACKs) one that does not fit.
// `toMeshConfig` turns a view into the same compiled config the mesh file gives,
// so the data plane does not know where its config came from.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { MeshConfig } from './config.js';
import {
  MAX_SERVICES,
  Service,
  AuthzPolicyEntry,
  Endpoint,
  RouteEntry,
  TrafficPolicyEntry,
  InboundPort,
  MeshConfigSchema,
  PodEntry,
  MtlsMode,
  ServicePort,
  ip,
  name as dnsLabel,
} from './config.js';
import { WorkloadLabels } from './workload-labels.js';
import { byCodeUnit } from '../compare.js';

// authz/<ns ≤ 63>/<name ≤ 253> is 323: names are bounded well above any legal one.
const resourceName = z.string().min(1).max(512);
const version = z.string().min(1).max(64);

export const ServiceResource = z.strictObject({
  kind: z.literal('service'),
  name: resourceName,
  version,
  service: z.strictObject({
    name: dnsLabel,
    namespace: dnsLabel,
    addresses: z.array(ip).max(16),
    ports: z.array(ServicePort).min(1).max(256),
  }),
});

export const EndpointsResource = z.strictObject({
  kind: z.literal('endpoints'),
  name: resourceName,
  version,
  endpoints: z.array(Endpoint).max(10_000),
});

export const InboundResource = z.strictObject({
  kind: z.literal('inbound'),
  name: z.literal('inbound'),
  version,
  inbound: z.strictObject({
    mode: MtlsMode,
    ports: z.array(InboundPort).max(256),
    /** Why this mode: the PeerAuthentication that set it, or `default`. */
    by: z.string().max(512),
  }),
  /** The pod's own workload and labels, for the metrics its sidecar reports. */
  self: z.strictObject({ workload: z.string().max(253), labels: WorkloadLabels }).optional(),
});

/**
 * One AuthorizationPolicy for this sidecar. Only the envelope is checked: the spec
 * is compiled by the sidecar and, if invalid, applied fail-closed (never NACKed, so
 * a bad policy cannot hold back the rest of a view, nor be left out of it).
 */
export const AuthzResource = z.strictObject({
  kind: z.literal('authz'),
  name: resourceName,
  version,
  policy: AuthzPolicyEntry,
});

/**
 * One Gateway API route. Like authz, only the envelope is checked: the sidecar
 * compiles the spec (src/routes) and applies what is valid, so a bad route is never
 * NACKed and never holds back the rest of a view.
 */
export const RouteResource = z.strictObject({
  kind: z.literal('route'),
  name: resourceName,
  version,
  route: RouteEntry,
});

/**
 * One TrafficPolicy. Like routes, only the envelope is checked: the sidecar compiles
 * the spec (src/traffic) and an invalid policy applies nowhere. A sidecar older than
 * this kind refuses it (NACK) and discovery then leaves it out of that sidecar's view
 * (a shared resource is excludable), so an old sidecar keeps working without it.
 */
export const TrafficResource = z.strictObject({
  kind: z.literal('traffic'),
  name: resourceName,
  version,
  policy: TrafficPolicyEntry,
});

/** The pod at one address; only scoped sidecars that subscribed to it receive one. */
export const PodResource = z.strictObject({
  kind: z.literal('pod'),
  name: resourceName,
  version,
  pod: PodEntry,
});

export const Resource = z.discriminatedUnion('kind', [
  ServiceResource,
  EndpointsResource,
  InboundResource,
  AuthzResource,
  RouteResource,
  TrafficResource,
  PodResource,
]);
export type Resource = z.infer<typeof Resource>;
export type ServiceResource = z.infer<typeof ServiceResource>;
export type EndpointsResource = z.infer<typeof EndpointsResource>;
export type InboundResource = z.infer<typeof InboundResource>;
export type AuthzResource = z.infer<typeof AuthzResource>;
export type RouteResource = z.infer<typeof RouteResource>;
export type TrafficResource = z.infer<typeof TrafficResource>;
export type PodResource = z.infer<typeof PodResource>;

/** A resource before it has a version: what the view builder produces. */
export type ResourceBody =
  | Omit<ServiceResource, 'version'>
  | Omit<EndpointsResource, 'version'>
  | Omit<InboundResource, 'version'>
  | Omit<AuthzResource, 'version'>
  | Omit<RouteResource, 'version'>
  | Omit<TrafficResource, 'version'>
  | Omit<PodResource, 'version'>;

export type View = ReadonlyMap<string, Resource>;

export const serviceKey = (ns: string, n: string): string => `service/${ns}/${n}`;
export const endpointsKey = (ns: string, n: string): string => `endpoints/${ns}/${n}`;
export const ENDPOINTS_PREFIX = 'endpoints/';
export const POD_PREFIX = 'pod/';
export const podKey = (address: string): string => `${POD_PREFIX}${address}`;
/** Names a scoped sidecar holds only when it subscribed to them. */
export const isOnDemand = (name: string): boolean =>
  name.startsWith(ENDPOINTS_PREFIX) || name.startsWith(POD_PREFIX);
export const AUTHZ_PREFIX = 'authz/';
export const authzKey = (ns: string, n: string): string => `${AUTHZ_PREFIX}${ns}/${n}`;
export const ROUTE_PREFIX = 'route/';
export const routeKey = (kind: RouteEntry['kind'], ns: string, n: string): string =>
  `${ROUTE_PREFIX}${kind.toLowerCase()}/${ns}/${n}`;

export const TRAFFIC_PREFIX = 'traffic/';
export const trafficKey = (ns: string, n: string): string => `${TRAFFIC_PREFIX}${ns}/${n}`;

/** 16 hex digits of SHA-256: a short, stable name for some content. */
export const contentHash = (text: string): string =>
  createHash('sha256').update(text).digest('hex').slice(0, 16);
const hash = contentHash;

/**
 * A resource's version is a hash of its content: every replica computes the same
 * version for the same data, so a sidecar reconnecting to another replica only
 * receives what differs from what it holds.
 */
export function withVersion(body: ResourceBody): Resource {
  return { ...body, version: hash(JSON.stringify(body)) };
}

const entryHashes = new WeakMap<Resource, bigint>();

/** One resource's contribution to a view version (cached per resource object). */
export function entryHash(r: Resource): bigint {
  let h = entryHashes.get(r);
  if (h === undefined) {
    h = BigInt(`0x${hash(`${r.name}=${r.version}`)}`);
    entryHashes.set(r, h);
  }
  return h;
}

export const formatVersion = (x: bigint): string => x.toString(16).padStart(16, '0');

/**
 * The whole view's version: the XOR of every resource's hash of name and version.
 * Order-free and incremental, so the server computes it per sidecar from the
 * shared part's value and the sidecar's own resources without sorting thousands
 * of names (a consistency check between both ends, not a security measure).
 */
export function viewVersion(view: View): string {
  let x = 0n;
  for (const r of view.values()) x ^= entryHash(r);
  return formatVersion(x);
}

/** The versions a view holds, by name (sent on reconnect, as delta-xDS's initial versions). */
export function versionsOf(view: View): Record<string, string> {
  return Object.fromEntries([...view.values()].map((r) => [r.name, r.version]));
}

/** A view as the mesh config the sidecar compiles: the same shape the mesh file has. */
/**
 * Each service's validated entry, kept while its two resource objects live. A view
 * that changes keeps the objects of what did not change, so a change re-validates
 * only the services it touched: at 1000 services × 10 endpoints, re-validating them
 * all was ~39 ms of CPU per endpoint change in every sidecar that got it.
 */
const entries = new WeakMap<ServiceResource, WeakMap<object, Service>>();
const NO_ENDPOINTS = {};

function serviceEntry(r: ServiceResource, eps: Resource | undefined): Service {
  let byEndpoints = entries.get(r);
  if (!byEndpoints) entries.set(r, (byEndpoints = new WeakMap()));
  const key = eps?.kind === 'endpoints' ? eps : NO_ENDPOINTS;
  let entry = byEndpoints.get(key);
  if (!entry) {
    entry = Service.parse({
      ...r.service,
      endpoints: eps?.kind === 'endpoints' ? eps.endpoints : [],
    });
    byEndpoints.set(key, entry);
  }
  return entry;
}

/** The mesh config around service entries already validated one by one (serviceEntry). */
const MeshConfigOfEntries = MeshConfigSchema.extend({
  services: z.array(z.custom<Service>()).max(MAX_SERVICES).default([]),
});

export function toMeshConfig(view: View, clusterDomain: string): MeshConfig {
  const services = [];
  const authorization = [];
  const routes = [];
  const trafficPolicies = [];
  const pods = [];
  // No inbound policy in the view (never received, or refused): fail closed.
  let inbound: MeshConfig['inbound'] = { mode: 'STRICT', ports: [] };
  let self: MeshConfig['self'];
  for (const r of view.values()) {
    if (r.kind === 'inbound') {
      inbound = { mode: r.inbound.mode, ports: r.inbound.ports };
      self = r.self;
    }
    if (r.kind === 'authz') authorization.push(r.policy);
    if (r.kind === 'route') routes.push(r.route);
    if (r.kind === 'traffic') trafficPolicies.push(r.policy);
    if (r.kind === 'pod') pods.push(r.pod);
    if (r.kind !== 'service') continue;
    const { name, namespace } = r.service;
    services.push(serviceEntry(r, view.get(endpointsKey(namespace, name))));
  }
  const byName = (
    a: { namespace: string; name: string },
    b: { namespace: string; name: string },
  ): number => byCodeUnit(a.namespace, b.namespace) || byCodeUnit(a.name, b.name);
  services.sort(byName);
  authorization.sort(byName);
  routes.sort((a, b) => byCodeUnit(a.kind, b.kind) || byName(a, b));
  trafficPolicies.sort(byName);
  return MeshConfigOfEntries.parse({
    clusterDomain,
    inbound,
    services,
    authorization,
    routes,
    trafficPolicies,
    pods,
    ...(self ? { self } : {}),
  });
}
