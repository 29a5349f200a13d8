// Opaque TCP: bytes both ways with backpressure, counted into Istio's TCP metrics,
// and either side's end or error closing the other.
import type { Duplex } from 'node:stream';
import type { IstioMetrics, Peers } from './istio-metrics.js';

export interface TcpLabels {
  readonly metrics: IstioMetrics;
  readonly peers: Peers;
  readonly flags?: string;
}

export function pipeTcp(downstream: Duplex, upstream: Duplex, labels: TcpLabels): void {
  const c = labels.metrics.tcpConnection(labels.peers, labels.flags);
  c.opened.inc();
  downstream.on('data', (chunk: Buffer) => c.received.inc(chunk.length));
  upstream.on('data', (chunk: Buffer) => c.sent.inc(chunk.length));
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    c.closed.inc();
    downstream.destroy();
    upstream.destroy();
  };
  downstream.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  downstream.pipe(upstream);
  upstream.pipe(downstream);
}
