// The destination a captured connection was addressed to before iptables
// redirected it to the sidecar (SO_ORIGINAL_DST), read through weft's small native
// addon (native/original_dst.c): Node exposes no getsockopt.
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export interface Destination {
  readonly address: string;
  readonly port: number;
}

interface Addon {
  originalDst(fd: number, ipv6: boolean): Destination;
}

// dist/src/net/ → the package root, where native/ is built.
const ADDON = path.resolve(import.meta.dirname, '../../../native/build/Release/original_dst.node');
let addon: Addon | undefined;

function load(): Addon {
  addon ??= createRequire(import.meta.url)(ADDON) as Addon;
  return addon;
}

/**
 * The original destination of `socket`, or undefined when the connection was not
 * redirected (it was addressed to the listener itself).
 */
export function originalDestination(socket: net.Socket): Destination | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  try {
    return load().originalDst(fd, net.isIPv6(socket.localAddress ?? ''));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
