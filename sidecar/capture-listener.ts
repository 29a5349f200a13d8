// A listener for iptables-captured connections (outbound 15001, inbound 15006):
// each connection's original destination is read once and handed on; one that was
// not redirected (someone dialled the port itself) has nowhere to go. The listener
// also owns the connection budget (see connection-budget.ts) and is the last
// guard: nothing a connection does may escape it as an exception.
import net from 'node:net';
import type { LimitedLogger } from '../src/log-limit.js';
import type { Logger } from '../src/log.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { originalDestination } from '../src/net/original-dst.js';
import type { Destination } from '../src/net/original-dst.js';
import { ConnectionBudget } from './connection-budget.js';
import type { Credentials } from './credentials.js';
import type { Direction } from './exchange.js';
import type { HttpServers } from './http-servers.js';
import type { IstioMetrics } from './istio-metrics.js';
import type { PeerLabels } from './peers.js';
import type { OnDemand } from './subscriptions.js';

export interface CaptureHooks {
  readonly log: Logger;
  /** For every line a peer can trigger: rate-limited per message and reason. */
  readonly peerLog: LimitedLogger;
  readonly refused: (reason: string) => void;
  /** Open connections this listener holds; past it, the oldest silent one gives way. */
  readonly maxConnections: number;
  /** SO_ORIGINAL_DST by default; tests without iptables give their own. */
  readonly originalDst?: (socket: net.Socket) => Destination | undefined;
}

/** What both capture listeners work with. */
export interface ListenerDeps extends CaptureHooks {
  readonly mesh: () => MeshIndex;
  readonly http: HttpServers;
  readonly creds: Credentials;
  readonly metrics: IstioMetrics;
  readonly peers: PeerLabels;
  /** How long to wait for a client's first bytes before treating it as server-first TCP. */
  readonly sniffMs: number;
  /** How long a client may stay silent where its first bytes decide what it is. */
  readonly firstByteTimeoutMs: number;
  /** An opaque TCP stream with no byte either way for this long is closed. */
  readonly tcpIdleTimeoutMs: number;
  /** A scoped sidecar's subscriptions (discovery); absent with a mesh file. */
  readonly onDemand?: OnDemand | undefined;
}

/** Marks the connection as having spoken (see ConnectionBudget). */
export type Settle = () => void;

/** Counts a refusal, logs it (rate-limited) and closes the connection. */
export function refuse(
  socket: net.Socket,
  reason: string,
  hooks: CaptureHooks,
  fields: Record<string, unknown> = {},
): void {
  hooks.refused(reason);
  hooks.peerLog.warn('connection refused', { reason, ...fields }, `refused|${reason}`);
  socket.destroy();
}

export function captureListener(
  direction: Direction,
  hooks: CaptureHooks,
  dispatch: (socket: net.Socket, dst: Destination, settle: Settle) => Promise<void>,
): net.Server {
  const budget = new ConnectionBudget(hooks.maxConnections, () => {
    hooks.refused('evicted_silent');
    hooks.peerLog.warn('listener full: closed the oldest silent connection', { direction });
  });
  const lookup = hooks.originalDst ?? originalDestination;
  const accept = (socket: net.Socket): void => {
    socket.on('error', (err) => hooks.log.debug(`${direction} connection error`, { err }));
    if (!budget.admit(socket)) return refuse(socket, 'max_connections', hooks, { direction });
    const dst = lookup(socket);
    if (!dst || (dst.port === socket.localPort && dst.address === socket.localAddress)) {
      return refuse(socket, 'not_redirected', hooks, { direction });
    }
    dispatch(socket, dst, () => budget.settle(socket)).catch((err: unknown) => {
      hooks.peerLog.warn(`${direction} connection failed`, { err }, `${direction} failed`);
      socket.destroy();
    });
  };
  return net.createServer({ noDelay: true }, (socket) => {
    try {
      accept(socket);
    } catch (err) {
      hooks.peerLog.warn(`${direction} connection failed`, { err }, `${direction} failed`);
      socket.destroy();
    }
  });
}
