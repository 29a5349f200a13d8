// Opaque TCP: bytes both ways with backpressure, counted into Istio's TCP metrics,
// either side's end or error closing the other, and an idle bound: a stream with
// no byte either way for `idleTimeoutMs` is closed (Envoy's TCP idle_timeout).
import type { Duplex } from 'node:stream';
import type { IstioMetrics, Peers } from './istio-metrics.js';

export interface TcpPipeOptions {
  readonly metrics: IstioMetrics;
  readonly peers: Peers;
  readonly flags?: string;
  readonly idleTimeoutMs: number;
  /** Called once, when the downstream client sends its first bytes. */
  readonly onFirstByte?: () => void;
}

type Timed = Duplex & { setTimeout?: (ms: number, cb: () => void) => unknown };

export function pipeTcp(downstream: Duplex, upstream: Duplex, o: TcpPipeOptions): void {
  const c = o.metrics.tcpConnection(o.peers, o.flags);
  c.opened.inc();
  let spoke = false;
  downstream.on('data', (chunk: Buffer) => {
    c.received.inc(chunk.length);
    if (!spoke) {
      spoke = true;
      o.onFirstByte?.();
    }
  });
  upstream.on('data', (chunk: Buffer) => c.sent.inc(chunk.length));
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    c.closed.inc();
    downstream.destroy();
    upstream.destroy();
  };
  // Every byte either way is read from or written to the downstream socket, so its
  // inactivity timer is the stream's.
  (downstream as Timed).setTimeout?.(o.idleTimeoutMs, close);
  downstream.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  downstream.pipe(upstream);
  upstream.pipe(downstream);
}
