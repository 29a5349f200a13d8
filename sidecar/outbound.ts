// The outbound listener (15001): the app's connections, captured by iptables.
// Each is classified once by its original destination: a mesh service's HTTP
// port goes to the HTTP parsers (routing and balancing per request), a TCP port
// is carried whole over mTLS to one endpoint, and anything the mesh does not know
// passes through untouched to where the app sent it.
import net from 'node:net';
import tls from 'node:tls';
import type { Target } from '../src/mesh/mesh-index.js';
import { detectProtocol } from '../src/mesh/protocol.js';
import type { Destination } from '../src/net/original-dst.js';
import { captureListener } from './capture-listener.js';
import type { ListenerDeps, Settle } from './capture-listener.js';
import { setConnection } from './connection.js';
import { ALPN } from './credentials.js';
import { balancerFor } from './layers/balance.js';
import { secureRandom } from '../src/random.js';
import { firstChunk } from './sniff.js';
import { pipeTcp } from './tcp-proxy.js';
import { tlsOptions } from './upstream-pool.js';
import { takesMtls } from '../src/mesh/endpoint-mtls.js';

export type OutboundDeps = ListenerDeps;

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

function tcpToEndpoint(
  socket: net.Socket,
  target: Target,
  deps: OutboundDeps,
  settle: Settle,
): void {
  // The balancer a TrafficPolicy chose, as for the Service's HTTP ports.
  const lb = deps.mesh().traffic.forService(target.service).settings.loadBalancer;
  const endpoint = target.endpoint ?? balancerFor(target.service, secureRandom, lb).pick();
  if (!endpoint) {
    deps.log.debug('no endpoints for TCP service', { service: target.service.name });
    return void socket.destroy();
  }
  const port = target.port.targetPort ?? target.port.port;
  const identities = deps.mesh().identities(target.service);
  let up: net.Socket;
  try {
    up = takesMtls(endpoint, port)
      ? tls.connect({
          host: endpoint.address,
          port,
          ...tlsOptions(deps.creds, identities, ALPN.tcp),
        })
      : net.connect({ host: endpoint.address, port });
  } catch {
    return void socket.destroy();
  }
  up.on('error', (err) => deps.log.debug('TCP upstream failed', { err, to: endpoint.address }));
  pipeTcp(socket, up, {
    metrics: deps.metrics,
    peers: deps.peers.outbound(target.service, endpoint),
    idleTimeoutMs: deps.tcpIdleTimeoutMs,
    onFirstByte: settle,
  });
}

async function dispatch(
  socket: net.Socket,
  dst: Destination,
  deps: OutboundDeps,
  settle: Settle,
): Promise<void> {
  const target = deps.mesh().byDestination(dst.address, dst.port);
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
  if (protocol === 'tcp') return tcpToEndpoint(socket, target, deps, settle);
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
