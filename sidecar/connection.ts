// Connection facts (original destination, verified peer) ride on the socket, so
// every request on it can read them: HTTP/1.1 gives the socket itself, HTTP/2's
// compatibility API a proxy that forwards property reads to it.
import type { ConnectionInfo, ProxyRequest } from './exchange.js';

const INFO = Symbol('weft.connection');

export function setConnection(socket: object, info: ConnectionInfo): void {
  (socket as Record<symbol, ConnectionInfo>)[INFO] = info;
}

export function connectionOf(req: ProxyRequest): ConnectionInfo | undefined {
  return (req.socket as unknown as Record<symbol, ConnectionInfo | undefined>)[INFO];
}
