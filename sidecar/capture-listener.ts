// A listener for iptables-captured connections (outbound 15001, inbound 15006):
// each connection's original destination is read once and handed on; one that was
// not redirected (someone dialled the port itself) has nowhere to go.
import net from 'node:net';
import type { Logger } from '../src/log.js';
import { originalDestination } from '../src/net/original-dst.js';
import type { Destination } from '../src/net/original-dst.js';
import type { Direction } from './exchange.js';

export interface CaptureHooks {
  readonly log: Logger;
  readonly refused: (reason: string) => void;
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
