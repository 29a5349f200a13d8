// The inbound listener (15006): connections to this pod, captured by iptables.
// The port's mode decides: STRICT terminates mTLS and refuses anything else,
// PERMISSIVE also takes plaintext (told apart by the first byte: a TLS record
// starts with 0x16), DISABLE takes plaintext only. A verified client's SPIFFE ID
// travels with the connection to policy, metrics and the app (XFCC).
import net from 'node:net';
import tls from 'node:tls';
import type { Protocol } from '../src/mesh/config.js';
import { detectProtocol } from '../src/mesh/protocol.js';
import type { Destination } from '../src/net/original-dst.js';
import { captureListener } from './capture-listener.js';
import type { ListenerDeps } from './capture-listener.js';
import { setConnection } from './connection.js';
import { ALPN, spiffeIdOf } from './credentials.js';
import { firstChunk } from './sniff.js';
import { pipeTcp } from './tcp-proxy.js';

export interface InboundDeps extends ListenerDeps {
  readonly handshakeTimeoutMs: number;
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
}

function toApp(socket: net.Socket, { dst, protocol, peer }: Accepted, deps: InboundDeps): void {
  setConnection(socket, {
    direction: 'inbound',
    destination: dst,
    remoteAddress: socket.remoteAddress ?? '',
    peerIdentity: peer,
    mtls: peer !== undefined,
  });
  if (protocol === 'tcp') {
    const app = net.connect({ host: '127.0.0.1', port: dst.port });
    app.on('error', (err) => deps.log.debug('app connection failed', { err, port: dst.port }));
    const remote = socket.remoteAddress ?? '';
    const peers = deps.peers.inbound(peer, remote, dst.port);
    return pipeTcp(socket, app, { metrics: deps.metrics, peers });
  }
  (protocol === 'http' ? deps.http.h1 : deps.http.h2).emit('connection', socket);
  socket.resume();
}

/**
 * The mTLS terminator: a tls.Server that never listens; the listener hands it the
 * connections it classified. Node's server path verifies the client chain against
 * the roots and refuses unverified or certificate-less clients during the handshake.
 */
export function createTlsTerminator(deps: InboundDeps): tls.Server {
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
    deps.refused('tls_handshake');
    deps.log.warn('mTLS handshake refused', {
      reason: err.code ?? err.message,
      from: socket.remoteAddress,
    });
  });
  server.on('secureConnection', (t: tls.TLSSocket) => {
    const key = peerKey(t);
    const dst = pending.get(key);
    pending.delete(key);
    const peer = t.authorized ? spiffeIdOf(t.getPeerCertificate()) : undefined;
    if (!peer || !dst) {
      deps.refused('peer_without_spiffe_id');
      deps.log.warn('mTLS peer has no SPIFFE ID; closing', { port: dst?.port });
      return void t.destroy();
    }
    const alpn = typeof t.alpnProtocol === 'string' ? ALPN_PROTOCOLS[t.alpnProtocol] : undefined;
    const declared = deps.mesh().inbound(dst.port).protocol;
    const protocol = alpn ?? (declared === 'detect' ? 'tcp' : declared);
    toApp(t, { dst, protocol, peer }, deps);
  });
  return server;
}

// The original destination is read from the raw socket; the TLS socket the server
// makes of it shares its address pair, which finds it again.
const pending = new Map<string, Destination>();
const peerKey = (s: net.Socket): string => `${s.remoteAddress}|${s.remotePort}`;

function terminateTls(socket: net.Socket, dst: Destination, deps: InboundDeps): void {
  if (!deps.creds.ready()) {
    deps.refused('no_certificate');
    return void socket.destroy();
  }
  const key = peerKey(socket);
  pending.set(key, dst);
  socket.once('close', () => pending.delete(key));
  deps.tls.emit('connection', socket);
}

async function plaintext(
  socket: net.Socket,
  dst: Destination,
  chunk: Buffer | undefined,
  deps: InboundDeps,
): Promise<void> {
  const declared = deps.mesh().inbound(dst.port).protocol;
  if (declared !== 'detect')
    return toApp(socket, { dst, protocol: declared, peer: undefined }, deps);
  const head = chunk ?? (await firstChunk(socket, deps.sniffMs));
  const protocol = head ? (detectProtocol(head, true) ?? 'tcp') : 'tcp';
  toApp(socket, { dst, protocol, peer: undefined }, deps);
}

async function dispatch(socket: net.Socket, dst: Destination, deps: InboundDeps): Promise<void> {
  const { mode } = deps.mesh().inbound(dst.port);
  if (mode === 'STRICT') return terminateTls(socket, dst, deps);
  if (mode === 'DISABLE') return plaintext(socket, dst, undefined, deps);
  const chunk = await firstChunk(socket, deps.sniffMs);
  if (socket.destroyed) return;
  if (chunk?.[0] === TLS_HANDSHAKE) return terminateTls(socket, dst, deps);
  return plaintext(socket, dst, chunk, deps);
}

export function createInboundListener(options: Omit<InboundDeps, 'tls'>): net.Server {
  const deps = { ...options } as InboundDeps;
  deps.tls = createTlsTerminator(deps);
  return captureListener('inbound', deps, (socket, dst) => dispatch(socket, dst, deps));
}
