// The outbound listener (15001): the app's connections, captured by iptables.
// Each is classified once by its original destination: a mesh service's HTTP
// port goes to the HTTP parsers (routing and balancing per request), a TCP port
// is carried whole over mTLS to one endpoint, within the Service's TrafficPolicy
// connection pool (maxConnections, connectTimeout), and anything the mesh does
// not know passes through untouched to where the app sent it.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../src/log.js';
import type { Endpoint } from '../src/mesh/config.js';
import type { Target } from '../src/mesh/mesh-index.js';
import { detectProtocol } from '../src/mesh/protocol.js';
import type { Destination } from '../src/net/original-dst.js';
import { captureListener, refuse } from './capture-listener.js';
import type { ListenerDeps, Settle } from './capture-listener.js';
import { setConnection } from './connection.js';
import { ALPN } from './credentials.js';
import { balancerFor } from './layers/balance.js';
import { secureRandom } from '../src/random.js';
import { firstChunk } from './sniff.js';
import { pipeTcp, tcpNotConnected } from './tcp-proxy.js';
import { openTcpUpstream } from './tcp-upstream.js';
import type { Dial } from './tcp-upstream.js';
import type { ServiceTraffic, TrafficStates } from './traffic-state.js';
import { tlsOptions } from './upstream-pool.js';
import { takesMtls } from '../src/mesh/endpoint-mtls.js';

export interface OutboundDeps extends ListenerDeps {
  /** Per-Service TrafficPolicy state, shared with the HTTP stack (connection counts). */
  readonly traffic: TrafficStates;
  /** One JSON line per opaque TCP connection to a mesh Service, when enabled. */
  readonly accessLog?: Logger | undefined;
}

function passthrough(
  socket: net.Socket,
  dst: Destination,
  deps: OutboundDeps,
  settle: Settle,
): void {
  const up = net.connect({ host: dst.address, port: dst.port });
  up.on('error', (err) => deps.log.debug('passthrough failed', { err, to: dst.address }));
  pipeTcp(socket, up, {
    metrics: deps.metrics,
    peers: deps.peers.outbound(undefined, undefined),
    idleTimeoutMs: deps.tcpIdleTimeoutMs,
    onFirstByte: settle,
  });
}

/** What the outbound TCP path needs of a connection once its endpoint is picked. */
interface TcpLeg {
  readonly target: Target;
  readonly endpoint: Endpoint;
  readonly settle: Settle;
  readonly startedAt: bigint;
}

function dialer(leg: TcpLeg, deps: OutboundDeps): Dial {
  const { target, endpoint } = leg;
  const port = target.port.targetPort ?? target.port.port;
  const identities = deps.mesh().identities(target.service);
  return () => {
    const up = takesMtls(endpoint, port)
      ? tls.connect({
          host: endpoint.address,
          port,
          ...tlsOptions(deps.creds, identities, ALPN.tcp),
        })
      : net.connect({ host: endpoint.address, port });
    up.on('error', (err) => deps.log.debug('TCP upstream failed', { err, to: endpoint.address }));
    return up;
  };
}

/**
 * Admitted by the Service's connection pool and connected within its connect timeout
 * (tcp-upstream.ts), then piped; refused or failed, the app's connection is closed
 * and reported with UO or UF, as Envoy's tcp_proxy closes it.
 */
async function tcpToEndpoint(
  socket: net.Socket,
  leg: TcpLeg,
  traffic: ServiceTraffic | undefined,
  deps: OutboundDeps,
): Promise<void> {
  const { target, endpoint } = leg;
  const service = `${target.service.namespace}/${target.service.name}`;
  const report = {
    metrics: deps.metrics,
    peers: deps.peers.outbound(target.service, endpoint),
    accessLog: deps.accessLog,
    logFields: { direction: 'outbound', protocol: 'tcp', service, upstream: endpoint.address },
    startedAt: leg.startedAt,
  };
  const left = new AbortController();
  const abort = (): void => left.abort();
  socket.once('close', abort);
  const up = await openTcpUpstream(traffic, dialer(leg, deps), left.signal);
  socket.off('close', abort);
  if (!up.ok) {
    tcpNotConnected(report, up.flag);
    if (up.flag === 'UO') return refuse(socket, 'upstream_overflow', deps, { service });
    deps.log.debug('TCP upstream not connected', { reason: up.reason, to: endpoint.address });
    return void socket.destroy();
  }
  // The app left as the dial completed: nothing to carry.
  if (socket.destroyed) return void up.socket.destroy();
  pipeTcp(socket, up.socket, {
    ...report,
    idleTimeoutMs: deps.tcpIdleTimeoutMs,
    onFirstByte: leg.settle,
  });
}

async function tcpToService(
  socket: net.Socket,
  target: Target,
  deps: OutboundDeps,
  settle: Settle,
): Promise<void> {
  const startedAt = process.hrtime.bigint();
  // The Service's TrafficPolicy (or weft's defaults); a pod dialled by address has none.
  const traffic = target.endpoint ? undefined : deps.traffic.for(deps.mesh(), target.service);
  // The balancer a TrafficPolicy chose, as for the Service's HTTP ports.
  const lb = deps.mesh().traffic.forService(target.service).settings.loadBalancer;
  const endpoint = target.endpoint ?? balancerFor(target.service, secureRandom, lb).pick();
  if (!endpoint) {
    deps.log.debug('no endpoints for TCP service', { service: target.service.name });
    return void socket.destroy();
  }
  await tcpToEndpoint(socket, { target, endpoint, settle, startedAt }, traffic, deps);
}

/** Waits for a service's endpoints (scoped sidecars); false: the wait timed out. */
async function endpointsHeld(
  namespace: string,
  name: string,
  deps: OutboundDeps,
): Promise<boolean> {
  const wait = deps.onDemand?.endpoints(namespace, name);
  return !wait || (await wait) !== 'timeout';
}

/**
 * An address a scoped sidecar does not know may be a pod: looked up (pod/<ip>), its
 * Service's endpoints then name it with its identity, so a direct dial to a meshed
 * pod is mTLS checked against that pod's identity. `refused`: a wait timed out and
 * the connection must not go on (it could be plaintext to a meshed pod).
 * undefined: not a pod behind a Service; it passes through as before.
 */
export async function podTarget(
  dst: Destination,
  deps: OutboundDeps,
): Promise<Target | 'refused' | undefined> {
  if (!deps.onDemand) return undefined; // a mesh file: every pod is in the view
  // undefined also means the pod/<ip> answer is already held: the pod's services
  // below must still be walked, or a held pod would pass through as plaintext.
  const looked = deps.onDemand.pod(dst.address);
  if (looked && (await looked) === 'timeout') return 'refused';
  for (const svc of deps.mesh().podAt(dst.address)?.services ?? []) {
    const [namespace = '', name = ''] = svc.split('/');
    if (!(await endpointsHeld(namespace, name, deps))) return 'refused';
    const target = deps.mesh().byDestination(dst.address, dst.port);
    if (target) return target;
  }
  return undefined;
}

/** A TCP target with its endpoints held (waited for if need be), or `refused`. */
async function tcpTarget(
  dst: Destination,
  target: Target,
  deps: OutboundDeps,
): Promise<Target | 'refused'> {
  if (target.endpoint) return target;
  const { namespace, name } = target.service;
  if (!(await endpointsHeld(namespace, name, deps))) return 'refused';
  return deps.mesh().byDestination(dst.address, dst.port) ?? target;
}

async function dispatch(
  socket: net.Socket,
  dst: Destination,
  deps: OutboundDeps,
  settle: Settle,
): Promise<void> {
  const refused = (): void =>
    refuse(socket, 'endpoints_pending', deps, { to: dst.address, port: dst.port });
  let target = deps.mesh().byDestination(dst.address, dst.port);
  if (!target) {
    const looked = await podTarget(dst, deps);
    if (socket.destroyed) return;
    if (looked === 'refused') return refused();
    target = looked;
  }
  if (!target) return passthrough(socket, dst, deps, settle);
  let protocol = target.protocol;
  if (protocol === 'detect') {
    const chunk = await firstChunk(socket, deps.sniffMs);
    if (socket.destroyed) return;
    protocol = chunk ? (detectProtocol(chunk, true) ?? 'tcp') : 'tcp';
  }
  setConnection(socket, {
    direction: 'outbound',
    destination: dst,
    remoteAddress: socket.remoteAddress ?? '',
    mtls: false,
  });
  if (protocol === 'tcp') {
    // HTTP waits per request (layers/endpoints.ts: Host may name another service); TCP here.
    const held = await tcpTarget(dst, target, deps);
    if (socket.destroyed) return;
    if (held === 'refused') return refused();
    return tcpToService(socket, held, deps, settle);
  }
  // The app is this pod's own: its HTTP connections count as having spoken.
  settle();
  const server = protocol === 'http' ? deps.http.h1 : deps.http.h2;
  server.emit('connection', socket);
  socket.resume();
}

export function createOutboundListener(deps: OutboundDeps): net.Server {
  return captureListener('outbound', deps, (socket, dst, settle) =>
    dispatch(socket, dst, deps, settle),
  );
}
