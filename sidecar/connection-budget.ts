// How many connections a capture listener holds, and who gives way when it is
// full. Node's own `server.maxConnections` drops the newest connection, so a peer
// that opens sockets and says nothing could fill the listener and turn every
// legitimate client away. Here a connection stays "pending" until its client has
// proved itself (sent its first bytes or finished its TLS handshake); at the
// limit the oldest pending connection is closed to make room. A client that
// speaks at once is pending for a round trip only, so silent sockets cannot crowd
// it out; when nothing is pending, the newcomer is refused as before.
import type net from 'node:net';

export class ConnectionBudget {
  private readonly live = new Set<net.Socket>();
  // Insertion order is arrival order: the first entry is the oldest.
  private readonly pending = new Set<net.Socket>();

  constructor(
    private readonly max: number,
    private readonly onEvict: () => void,
  ) {}

  /** Counts `socket` in; false when full with nothing to evict (the caller closes it). */
  admit(socket: net.Socket): boolean {
    if (this.live.size >= this.max) {
      const oldest = this.pending.values().next();
      if (oldest.done) return false;
      this.release(oldest.value);
      oldest.value.destroy();
      this.onEvict();
    }
    this.live.add(socket);
    this.pending.add(socket);
    socket.once('close', () => this.release(socket));
    return true;
  }

  /** The client has spoken: no longer a candidate for eviction. */
  settle(socket: net.Socket): void {
    this.pending.delete(socket);
  }

  get size(): { open: number; pending: number } {
    return { open: this.live.size, pending: this.pending.size };
  }

  private release(socket: net.Socket): void {
    this.live.delete(socket);
    this.pending.delete(socket);
  }
}
