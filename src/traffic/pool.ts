// The connection-pool limits of Istio's connectionPool, enforced as Envoy's
// circuit breakers are (per calling sidecar, per Service): counters of open
// connections, requests waiting for a connection and requests in flight; a
// request over a limit is refused at once with 503 and the UO flag, never queued
// without bound. The sidecar's pool asks before it sends and tells when things
// end; this holds only the counters and the decisions.
// - A request with a ready connection goes if fewer than http2MaxRequests are in
//   flight (Istio: applies to HTTP/1.1 and HTTP/2 alike).
// - Otherwise it waits for a connection if fewer than http1MaxPendingRequests
//   wait, and a new connection is opened if fewer than maxConnections are open.
// - A plain TCP connection over maxConnections is refused (UO), as tcp_proxy does.
// - A connection that has carried maxRequestsPerConnection requests is closed.
import type { PoolLimits } from './types.js';

export type PoolLimit = 'maxConnections' | 'http1MaxPendingRequests' | 'http2MaxRequests';

export type Admission =
  | {
      readonly admitted: true;
      /** Waiting for a connection: call dispatched() or cancelled() later. */
      readonly queued: boolean;
      /** Open a new connection for it (counted already). */
      readonly connect: boolean;
    }
  | { readonly admitted: false; readonly flag: 'UO'; readonly limit: PoolLimit };

const refuse = (limit: PoolLimit): Admission => ({ admitted: false, flag: 'UO', limit });

export class PoolGate {
  private connections = 0;
  private pending = 0;
  private active = 0;

  constructor(private readonly limits: PoolLimits) {}

  /** A request wants to go upstream; `ready`: the pool has a connection that can take it now. */
  request(ready: boolean): Admission {
    if (ready) return this.start();
    if (this.pending >= this.limits.http1MaxPendingRequests)
      return refuse('http1MaxPendingRequests');
    this.pending++;
    const connect = this.connections < this.limits.maxConnections;
    if (connect) this.connections++;
    return { admitted: true, queued: true, connect };
  }

  /** A waiting request got its connection (it may still meet the in-flight limit). */
  dispatched(): Admission {
    this.pending = Math.max(0, this.pending - 1);
    return this.start();
  }

  /** A waiting request gave up (its client went away, or its timeout fired). */
  cancelled(): void {
    this.pending = Math.max(0, this.pending - 1);
  }

  /** An admitted request finished. */
  finished(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** A plain TCP connection (opaque traffic) wants to open. */
  connect(): Admission {
    if (this.connections >= this.limits.maxConnections) return refuse('maxConnections');
    this.connections++;
    return { admitted: true, queued: false, connect: true };
  }

  connectionClosed(): void {
    this.connections = Math.max(0, this.connections - 1);
  }

  /** Close a connection after it has carried `served` requests? */
  retire(served: number): boolean {
    return (
      this.limits.maxRequestsPerConnection > 0 && served >= this.limits.maxRequestsPerConnection
    );
  }

  counts(): { connections: number; pending: number; active: number } {
    return { connections: this.connections, pending: this.pending, active: this.active };
  }

  private start(): Admission {
    if (this.active >= this.limits.http2MaxRequests) return refuse('http2MaxRequests');
    this.active++;
    return { admitted: true, queued: false, connect: false };
  }
}
