// A listener for iptables-captured connections (outbound 15001, inbound 15006):
// each connection's original destination is read once and handed on; one that was
// not redirected (someone dialled the port itself) has nowhere to go.
import net from 'node:net';
import type { Logger } from '../src/log.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { originalDestination } from '../src/net/original-dst.js';
import type { Destination } from '../src/net/original-dst.js';
import type { Credentials } from './credentials.js';
import type { Direction } from './exchange.js';
import type { HttpServers } from './http-servers.js';
import type { IstioMetrics } from './istio-metrics.js';
import type { PeerLabels } from './peers.js';

export interface CaptureHooks {
  readonly log: Logger;
  readonly refused: (reason: string) => void;
}

/** What both capture listeners work with. */
export interface ListenerDeps extends CaptureHooks {
  readonly mesh: () => MeshIndex;
  readonly http: HttpServers;
  readonly creds: Credentials;
  readonly metrics: IstioMetrics;
  readonly peers: PeerLabels;
  /** How long to wait for a client's first bytes when the protocol is undeclared. */
  readonly sniffMs: number;
}

export function captureListener(
  direction: Direction,
  hooks: CaptureHooks,
  dispatch: (socket: net.Socket, dst: Destination) => Promise<void>,
): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', (err) => hooks.log.debug(`${direction} connection error`, { err }));
    const dst = originalDestination(socket);
    if (!dst || (dst.port === socket.localPort && dst.address === socket.localAddress)) {
      hooks.refused('not_redirected');
      return void socket.destroy();
    }
    dispatch(socket, dst).catch((err: unknown) => {
      hooks.log.warn(`${direction} connection failed`, { err });
      socket.destroy();
    });
  });
}
