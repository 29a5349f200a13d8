// Kubernetes objects → the view's resources. Pure: discovery keeps the objects
// its informers see and calls these on every (debounced) change.
//
// Services: ClusterIPs (dual-stack: every family), TCP ports with their target
// port (a named targetPort resolved through the EndpointSlices, as kube-proxy
// does), appProtocol and port names; ExternalName Services have no endpoints to
// proxy and are left out (their traffic passes through). Endpoints: every
// EndpointSlice of the Service (hand-made ones for selector-less Services too),
// the ready endpoints, or the serving-but-terminating ones when none is ready
// (Kubernetes' ProxyTerminatingEndpoints); each with its pod's identity, workload
// and whether it is meshed (weft.dev/status) and takes mTLS.
import type {
  V1Endpoint,
  V1EndpointSlice,
  V1Pod,
  V1Service,
  V1ServicePort,
} from '@kubernetes/client-node';
import type { Endpoint, ServicePort } from './config.js';
import type { InboundModes, PeerAuthentication } from './peer-authentication.js';
import { modeOnPort, resolveInboundModes } from './peer-authentication.js';
import { protocolOf } from './protocol.js';
import type { Resource } from './view.js';
import { workloadLabels } from './workload-labels.js';
import { endpointsKey, serviceKey, withVersion } from './view.js';

export const MESHED_ANNOTATION = 'weft.dev/status';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** What the informers hold; keys are `namespace/name`. */
export interface ClusterObjects {
  readonly services: ReadonlyMap<string, V1Service>;
  readonly slices: ReadonlyMap<string, V1EndpointSlice>;
  readonly pods: ReadonlyMap<string, V1Pod>;
  readonly peerAuthentications: ReadonlyMap<string, PeerAuthentication>;
  readonly trustDomain: string;
  /** Where a selector-less PeerAuthentication is mesh-wide (weft-system). */
  readonly rootNamespace: string;
}

export const keyOf = (o: { metadata?: { namespace?: string; name?: string } }): string =>
  `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

const spiffe = (td: string, ns: string, sa: string): string => `spiffe://${td}/ns/${ns}/sa/${sa}`;

/** The pod's workload for metrics: its controller, a ReplicaSet named for its Deployment. */
export function workloadOfPod(pod: V1Pod): string {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!owner) return pod.metadata?.name ?? 'unknown';
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return owner.name.slice(0, -hash.length - 1);
  }
  return owner.name;
}

export const isMeshed = (pod: V1Pod): boolean =>
  pod.metadata?.annotations?.[MESHED_ANNOTATION] !== undefined;

export function inboundModesOf(objects: ClusterObjects, pod: V1Pod): InboundModes {
  return resolveInboundModes(
    objects.peerAuthentications.values(),
    { namespace: pod.metadata?.namespace ?? '', labels: pod.metadata?.labels ?? {} },
    objects.rootNamespace,
  );
}

/** Slices by their Service (`namespace/service-name`). */
export function slicesByService(
  slices: ReadonlyMap<string, V1EndpointSlice>,
): Map<string, V1EndpointSlice[]> {
  const out = new Map<string, V1EndpointSlice[]>();
  for (const s of slices.values()) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType === 'FQDN') continue;
    const k = `${s.metadata?.namespace ?? ''}/${svc}`;
    const list = out.get(k) ?? [];
    list.push(s);
    out.set(k, list);
  }
  return out;
}

function targetPortOf(p: V1ServicePort, slices: readonly V1EndpointSlice[]): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (p.targetPort === undefined) return p.port;
  if (/^\d+$/.test(p.targetPort)) return Number(p.targetPort);
  // A named target port: the slices carry the number under the service port's name.
  const hit = slices
    .flatMap((s) => s.ports ?? [])
    .find((sp) => (sp.name ?? '') === (p.name ?? '') && sp.port);
  return hit?.port;
}

function servicePorts(svc: V1Service, slices: readonly V1EndpointSlice[]): ServicePort[] {
  const out: ServicePort[] = [];
  for (const p of svc.spec?.ports ?? []) {
    if ((p.protocol ?? 'TCP') !== 'TCP') continue; // the proxy carries TCP only
    const targetPort = targetPortOf(p, slices);
    out.push({
      port: p.port,
      ...(targetPort !== undefined && targetPort !== p.port ? { targetPort } : {}),
      ...(p.name ? { name: p.name } : {}),
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    });
  }
  return out;
}

/**
 * What callers send to a pod: mTLS exactly when it is meshed and its inbound mode is not
 * DISABLE, and per target port where a port-level mode says otherwise.
 */
function callerMtls(objects: ClusterObjects, pod: V1Pod): Pick<Endpoint, 'mtls' | 'portMtls'> {
  if (!isMeshed(pod)) return { mtls: false };
  const modes = inboundModesOf(objects, pod);
  const mtls = modes.mode.mode !== 'DISABLE';
  const portMtls = [...modes.ports]
    .filter(([, m]) => (m.mode !== 'DISABLE') !== mtls)
    .map(([port]) => ({ port, mtls: !mtls }))
    .sort((a, b) => a.port - b.port);
  return portMtls.length ? { mtls, portMtls } : { mtls };
}

interface Candidate {
  readonly endpoint: Endpoint;
  readonly ready: boolean;
  readonly serving: boolean;
}

function candidates(objects: ClusterObjects, namespace: string, ep: V1Endpoint): Candidate[] {
  const ready = ep.conditions?.ready !== false; // unset means ready (EndpointSlice API)
  const serving = ep.conditions?.serving ?? ready;
  const ref = ep.targetRef;
  const pod =
    ref?.kind === 'Pod' ? objects.pods.get(`${ref.namespace ?? namespace}/${ref.name}`) : undefined;
  const td = objects.trustDomain;
  const shape = pod
    ? {
        identity: spiffe(
          td,
          pod.metadata?.namespace ?? namespace,
          pod.spec?.serviceAccountName ?? 'default',
        ),
        workload: workloadOfPod(pod),
        ...callerMtls(objects, pod),
        labels: workloadLabels(pod.metadata?.labels ?? {}, workloadOfPod(pod)),
      }
    : // No pod behind it (a hand-made slice): plaintext; the identity is never checked.
      { identity: spiffe(td, namespace, 'default'), mtls: false };
  return ep.addresses.map((address) => ({ endpoint: { address, ...shape }, ready, serving }));
}

function endpointsOf(
  objects: ClusterObjects,
  namespace: string,
  slices: readonly V1EndpointSlice[],
): Endpoint[] {
  const all = slices.flatMap((s) =>
    (s.endpoints ?? []).flatMap((ep) => candidates(objects, namespace, ep)),
  );
  const ready = all.filter((c) => c.ready);
  const chosen = ready.length ? ready : all.filter((c) => c.serving);
  const seen = new Map<string, Endpoint>();
  for (const c of chosen)
    if (!seen.has(c.endpoint.address)) seen.set(c.endpoint.address, c.endpoint);
  return [...seen.values()].sort((a, b) => a.address.localeCompare(b.address));
}

/** Every ClusterIP (dual-stack) and external IP: kube-proxy routes each the same way. */
function serviceAddresses(svc: V1Service): string[] {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return [...ips, ...(spec.externalIPs ?? [])].filter((a) => a && a !== 'None');
}

/** The resources every sidecar may see: each Service's catalog entry and endpoints. */
export function buildServiceResources(objects: ClusterObjects): Map<string, Resource> {
  const out = new Map<string, Resource>();
  const bySvc = slicesByService(objects.slices);
  for (const svc of objects.services.values()) {
    if (svc.spec?.type === 'ExternalName') continue;
    const namespace = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const slices = bySvc.get(`${namespace}/${name}`) ?? [];
    const ports = servicePorts(svc, slices);
    if (!ports.length) continue;
    const addresses = serviceAddresses(svc);
    const sk = serviceKey(namespace, name);
    out.set(
      sk,
      withVersion({ kind: 'service', name: sk, service: { name, namespace, addresses, ports } }),
    );
    const ek = endpointsKey(namespace, name);
    out.set(
      ek,
      withVersion({
        kind: 'endpoints',
        name: ek,
        endpoints: endpointsOf(objects, namespace, slices),
      }),
    );
  }
  return out;
}

/** Pod address → its target ports and the service ports they serve, for the inbound protocols. */
export function inboundPortsByIp(
  resources: ReadonlyMap<string, Resource>,
): Map<string, Map<number, ServicePort>> {
  const out = new Map<string, Map<number, ServicePort>>();
  for (const r of resources.values()) {
    if (r.kind !== 'service') continue;
    const eps = resources.get(endpointsKey(r.service.namespace, r.service.name));
    if (eps?.kind !== 'endpoints') continue;
    for (const e of eps.endpoints) {
      const ports = out.get(e.address) ?? new Map<number, ServicePort>();
      for (const p of r.service.ports) ports.set(p.targetPort ?? p.port, p);
      out.set(e.address, ports);
    }
  }
  return out;
}

function podPorts(
  pod: V1Pod,
  byIp: ReadonlyMap<string, ReadonlyMap<number, ServicePort>>,
): Map<number, ServicePort> {
  const ips = new Set((pod.status?.podIPs ?? []).map((p) => p.ip).concat(pod.status?.podIP ?? []));
  const out = new Map<number, ServicePort>();
  for (const ip of ips) for (const [port, sp] of byIp.get(ip) ?? []) out.set(port, sp);
  return out;
}

/** A pod's own inbound policy: the mode its PeerAuthentications give, per port, with protocols. */
export function buildInboundResource(
  objects: ClusterObjects,
  pod: V1Pod,
  portsByIp: ReadonlyMap<string, ReadonlyMap<number, ServicePort>>,
): Resource {
  const modes = inboundModesOf(objects, pod);
  const protocols = podPorts(pod, portsByIp);
  const ports = new Set([...protocols.keys(), ...modes.ports.keys()]);
  const inbound = [...ports]
    .sort((a, b) => a - b)
    .map((port) => {
      const sp = protocols.get(port);
      const protocol = sp ? protocolOf(sp) : 'detect';
      return {
        port,
        ...(modes.ports.has(port) ? { mode: modeOnPort(modes, port) } : {}),
        ...(protocol !== 'detect' ? { protocol } : {}),
      };
    });
  const workload = workloadOfPod(pod);
  return withVersion({
    kind: 'inbound',
    name: 'inbound',
    inbound: { mode: modes.mode.mode, ports: inbound, by: modes.mode.by },
    self: { workload, labels: workloadLabels(pod.metadata?.labels ?? {}, workload) },
  });
}
