// The inbound listener (15006): connections to this pod, captured by iptables.
// The port's mode decides: STRICT terminates mTLS and refuses anything else,
// PERMISSIVE also takes plaintext (told apart by the first byte: a TLS record
// starts with 0x16), DISABLE takes plaintext only. A verified client's SPIFFE ID
// travels with the connection to policy, metrics and the app (XFCC).
// Authorization: HTTP per request (layers/authorize.ts); an opaque TCP connection
// once, after the handshake and before the app is dialled: denied, it is closed.
//
// The app is reached on the address the peer dialled, the pod's own IP, never on
// loopback (as Istio does since 1.10): an app bound to 127.0.0.1 stays out of
// reach, as it is without the mesh. The proxy's own ports are never targets.
// Every connection to the app comes from 127.0.0.6 (src/capture/app-source.ts):
// the capture sends the sidecar's other dials to its pod's IP back here, so a pod
// calling a Service that includes itself gets mTLS and policy like any peer. The
// app sees 127.0.0.6 as its peer, as under Istio; policy, metrics and XFCC take
// the caller from the inbound connection, never from that address.
import net from 'node:net';
import tls from 'node:tls';
import { appSource } from '../src/capture/app-source.js';
import { parseSpiffeId } from '../src/identity.js';
import type { Protocol } from '../src/mesh/config.js';
import { detectProtocol } from '../src/mesh/protocol.js';
import type { Destination } from '../src/net/original-dst.js';
import type { Authorizer } from './authz.js';
import { captureListener, refuse } from './capture-listener.js';
import type { ListenerDeps, Settle } from './capture-listener.js';
import { setConnection } from './connection.js';
import { ALPN, spiffeIdOf } from './credentials.js';
import type { ConnectionInfo } from './exchange.js';
import { connectionRequest } from './layers/authorize.js';
import { firstChunk } from './sniff.js';
import { pipeTcp } from './tcp-proxy.js';

export interface InboundDeps extends ListenerDeps {
  readonly handshakeTimeoutMs: number;
  /** The pod's IP: the one loopback-looking destination that may be forwarded (dev runs). */
  readonly podIp: string;
  /** Ports the sidecar itself serves: captured connections to them are refused. */
  readonly proxyPorts: ReadonlySet<number>;
  /** Decides opaque TCP connections against the pod's AuthorizationPolicies. */
  readonly authorizer: Authorizer;
  /** Set by createInboundListener. */
  tls: tls.Server;
}

const TLS_HANDSHAKE = 0x16;
const ALPN_PROTOCOLS: Record<string, Protocol> = {
  [ALPN.http2]: 'http2',
  [ALPN.http1]: 'http',
  [ALPN.tcp]: 'tcp',
};

interface Accepted {
  readonly dst: Destination;
  readonly protocol: Protocol;
  /** The verified client SPIFFE ID; undefined for plaintext. */
  readonly peer: string | undefined;
  readonly settle: Settle;
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::', 'ipv6');

/** Why a captured destination may not be forwarded at all, if it may not. */
export function refusedTarget(dst: Destination, deps: InboundDeps): string | undefined {
  if (deps.proxyPorts.has(dst.port)) return 'proxy_port';
  const family = net.isIPv6(dst.address) ? 'ipv6' : 'ipv4';
  // Only a peer that forged a loopback destination on the wire gets here.
  if (dst.address !== deps.podIp && LOOPBACK.check(dst.address, family)) return 'loopback_target';
  return undefined;
}

/** Whether an opaque TCP connection may reach the app; a denied one is counted and closed. */
function tcpAuthorized(socket: net.Socket, conn: ConnectionInfo, deps: InboundDeps): boolean {
  const { destination, remoteAddress, peerIdentity } = conn;
  const summary = { peer: peerIdentity, source: remoteAddress, port: destination.port };
  const d = deps.authorizer.decide(deps.mesh().authz, connectionRequest(conn), summary);
  if (d.allow) return true;
  // As Istio's metrics show an RBAC-denied connection: opened and closed, no bytes.
  const c = deps.metrics.tcpConnection(
    deps.peers.inbound(peerIdentity, remoteAddress, destination.port),
  );
  c.opened.inc();
  c.closed.inc();
  deps.refused('authz_denied');
  socket.destroy();
  return false;
}

function toApp(
  socket: net.Socket,
  { dst, protocol, peer, settle }: Accepted,
  deps: InboundDeps,
): void {
  const servername = (socket as Partial<tls.TLSSocket>).servername;
  const conn: ConnectionInfo = {
    direction: 'inbound',
    destination: dst,
    remoteAddress: socket.remoteAddress ?? '',
    peerIdentity: peer,
    mtls: peer !== undefined,
    ...(typeof servername === 'string' && servername ? { sni: servername } : {}),
  };
  setConnection(socket, conn);
  if (protocol === 'tcp') {
    if (!tcpAuthorized(socket, conn, deps)) return;
    const localAddress = appSource(dst.address);
    const app = net.connect({
      host: dst.address,
      port: dst.port,
      ...(localAddress ? { localAddress } : {}),
    });
    app.on('error', (err) => deps.log.debug('app connection failed', { err, port: dst.port }));
    const remote = socket.remoteAddress ?? '';
    const peers = deps.peers.inbound(peer, remote, dst.port);
    return pipeTcp(socket, app, {
      metrics: deps.metrics,
      peers,
      idleTimeoutMs: deps.tcpIdleTimeoutMs,
      onFirstByte: settle,
    });
  }
  (protocol === 'http' ? deps.http.h1 : deps.http.h2).emit('connection', socket);
  socket.resume();
}

/**
 * The longest a new caller's connection waits to learn who the caller is: the
 * discovery client's own wait (--discovery-wait-ms, 5 s by default) bounds the
 * lookup; this only guards against an answer that never settles.
 */
export const CALLER_LOOKUP_MS = 5000;

/**
 * A scoped sidecar learns a caller it does not know (its pod, workload and labels,
 * for the destination reporter's source labels) by looking its address up (pod/<ip>)
 * once per caller. The connection waits for the answer, so the first request's
 * metrics already name the caller: the answer is one round trip to discovery (it was
 * bounded at 1 s once, and a slow control plane's late answers left the real-node
 * journey's first requests `unknown`). Only metrics depend on it, so whatever the
 * outcome the connection goes on, and while the stream is down nobody waits.
 */
export function callerLookup(
  address: string,
  deps: Pick<InboundDeps, 'onDemand' | 'mesh'>,
  boundMs = CALLER_LOOKUP_MS,
): Promise<unknown> | undefined {
  if (!deps.onDemand || !address || deps.mesh().endpointAt(address)) return undefined;
  const looked = deps.onDemand.pod(address);
  if (!looked || !deps.onDemand.live) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((r) => (timer = setTimeout(r, boundMs)));
  return Promise.race([looked, bound]).finally(() => clearTimeout(timer));
}

/** A verified peer's SPIFFE ID if it is a workload identity; the refusal reason otherwise. */
function peerIdentity(t: tls.TLSSocket): { peer: string } | { refusal: string } {
  const peer = t.authorized ? spiffeIdOf(t.getPeerCertificate()) : undefined;
  if (!peer) return { refusal: 'peer_without_spiffe_id' };
  try {
    parseSpiffeId(peer);
  } catch {
    // Chains to our roots, yet not an ID weft's CA issues: fail closed.
    return { refusal: 'peer_identity_invalid' };
  }
  return { peer };
}

interface PendingTls {
  readonly dst: Destination;
  readonly settle: Settle;
  /** Stops the handshake clock (set by terminateTls). */
  readonly secured?: () => void;
}

// The original destination is read from the raw socket; the TLS socket the server
// makes of it shares its address pair, which finds it again.
const peerKey = (s: net.Socket): string => `${s.remoteAddress}|${s.remotePort}`;

/**
 * The mTLS terminator: a tls.Server that never listens; the listener hands it the
 * connections it classified. Node's server path verifies the client chain against
 * the roots and refuses unverified or certificate-less clients during the handshake.
 */
export function createTlsTerminator(
  deps: InboundDeps,
  pending: Map<string, PendingTls>,
): tls.Server {
  const server = tls.createServer({
    requestCert: true,
    rejectUnauthorized: true,
    ALPNProtocols: [ALPN.http2, ALPN.http1, ALPN.tcp],
    handshakeTimeout: deps.handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  });
  const refresh = (): void => {
    const options = deps.creds.serverOptions();
    if (options) server.setSecureContext(options);
  };
  refresh();
  deps.creds.on('change', refresh);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    const reason = err.code ?? 'unknown';
    deps.refused('tls_handshake');
    deps.peerLog.warn(
      'mTLS handshake refused',
      { reason, from: socket.remoteAddress },
      `tls|${reason}`,
    );
  });
  server.on('secureConnection', (t: tls.TLSSocket) => {
    const key = peerKey(t);
    const waiting = pending.get(key);
    pending.delete(key);
    const id = peerIdentity(t);
    if (!waiting) return refuse(t, 'destination_lost', deps);
    waiting.secured?.();
    if ('refusal' in id) return refuse(t, id.refusal, deps, { port: waiting.dst.port });
    waiting.settle();
    const alpn = typeof t.alpnProtocol === 'string' ? ALPN_PROTOCOLS[t.alpnProtocol] : undefined;
    const declared = deps.mesh().inbound(waiting.dst.port).protocol;
    // A port declared TCP stays TCP whatever the client negotiates: ALPN must not put
    // its bytes under HTTP rules (a DENY with HTTP-only fields denies all TCP there).
    const protocol =
      declared === 'tcp' ? 'tcp' : (alpn ?? (declared === 'detect' ? 'tcp' : declared));
    const accepted = { dst: waiting.dst, protocol, peer: id.peer, settle: waiting.settle };
    const lookup = callerLookup(t.remoteAddress ?? '', deps);
    if (!lookup) return toApp(t, accepted, deps);
    // Nothing else listens on the TLS socket while the caller is looked up: a peer
    // that resets or corrupts a record now must not crash the sidecar.
    t.once('error', () => t.destroy());
    void lookup.then(() => (t.destroyed ? undefined : toApp(t, accepted, deps)));
  });
  return server;
}

function terminateTls(
  socket: net.Socket,
  at: PendingTls,
  deps: InboundDeps,
  pending: Map<string, PendingTls>,
): void {
  if (!deps.creds.ready()) return refuse(socket, 'no_certificate', deps);
  const key = peerKey(socket);
  // Node's handshakeTimeout does not fire for a client that never sends a byte on a
  // socket handed to the server like this one: the handshake is bounded here too.
  const timer = setTimeout(
    () => refuse(socket, 'handshake_timeout', deps, { port: at.dst.port }),
    deps.handshakeTimeoutMs,
  );
  pending.set(key, { ...at, secured: () => clearTimeout(timer) });
  socket.once('close', () => {
    clearTimeout(timer);
    pending.delete(key);
  });
  deps.tls.emit('connection', socket);
}

async function dispatch(
  socket: net.Socket,
  at: PendingTls,
  deps: InboundDeps,
  pending: Map<string, PendingTls>,
): Promise<void> {
  const { dst, settle } = at;
  const refusal = refusedTarget(dst, deps);
  if (refusal) return refuse(socket, refusal, deps, { port: dst.port });
  const { mode, protocol } = deps.mesh().inbound(dst.port);
  if (mode === 'STRICT') return terminateTls(socket, at, deps, pending);
  // A declared TCP port may carry a server-first protocol (the app speaks first):
  // wait for the client briefly, then connect; it stays evictable until it speaks.
  const serverFirst = protocol === 'tcp';
  const plain = (p: Protocol): void =>
    toApp(socket, { dst, protocol: p, peer: undefined, settle }, deps);
  if (serverFirst && mode === 'DISABLE') return plain('tcp');
  const chunk = await firstChunk(socket, serverFirst ? deps.sniffMs : deps.firstByteTimeoutMs);
  if (socket.destroyed) return;
  if (!chunk) {
    if (serverFirst) return plain('tcp');
    // No connection to the app is made for a client that never speaks.
    return refuse(socket, 'first_byte_timeout', deps, { port: dst.port });
  }
  settle();
  if (mode === 'PERMISSIVE' && chunk[0] === TLS_HANDSHAKE) {
    return terminateTls(socket, at, deps, pending);
  }
  plain(protocol === 'detect' ? (detectProtocol(chunk, true) ?? 'tcp') : protocol);
}

export function createInboundListener(options: Omit<InboundDeps, 'tls'>): net.Server {
  const pending = new Map<string, PendingTls>();
  const deps = { ...options } as InboundDeps;
  deps.tls = createTlsTerminator(deps, pending);
  return captureListener('inbound', deps, (socket, dst, settle) =>
    dispatch(socket, { dst, settle }, deps, pending),
  );
}
