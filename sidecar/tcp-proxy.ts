// Opaque TCP: bytes both ways with backpressure, counted into Istio's TCP metrics,
// either side's end or error closing the other, and an idle bound: a stream with
// no byte either way for `idleTimeoutMs` is closed (Envoy's TCP idle_timeout).
// With an access log, one line per connection when it ends, as Envoy logs TCP.
import type { Duplex } from 'node:stream';
import type { Logger } from '../src/log.js';
import type { IstioMetrics, Peers } from './istio-metrics.js';

export interface TcpPipeOptions {
  readonly metrics: IstioMetrics;
  readonly peers: Peers;
  readonly flags?: string;
  readonly idleTimeoutMs: number;
  /** Called once, when the downstream client sends its first bytes. */
  readonly onFirstByte?: () => void;
  readonly accessLog?: Logger | undefined;
  /** What the access-log line says of the connection besides flags, duration and bytes. */
  readonly logFields?: Readonly<Record<string, unknown>>;
  /** When the connection was accepted (the line's duration); now by default. */
  readonly startedAt?: bigint;
}

type Timed = Duplex & { setTimeout?: (ms: number, cb: () => void) => unknown };

function logTcp(
  o: Pick<TcpPipeOptions, 'accessLog' | 'logFields' | 'flags'>,
  startedAt: bigint,
  bytes: { received: number; sent: number },
): void {
  const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  o.accessLog?.info('tcp', {
    ...o.logFields,
    flags: o.flags ?? '-',
    durationMs: Math.round(durationMs * 1000) / 1000,
    bytesReceived: bytes.received,
    bytesSent: bytes.sent,
  });
}

/**
 * A connection that never reached its upstream (refused UO, failed UF, or the app
 * left during the dial, '-'): opened and closed in Istio's metrics with no bytes
 * and its flag, as Envoy reports one.
 */
export function tcpNotConnected(
  o: Pick<TcpPipeOptions, 'metrics' | 'peers' | 'accessLog' | 'logFields' | 'startedAt'>,
  flags: string,
): void {
  const c = o.metrics.tcpConnection(o.peers, flags);
  c.opened.inc();
  c.closed.inc();
  logTcp({ ...o, flags }, o.startedAt ?? process.hrtime.bigint(), { received: 0, sent: 0 });
}

export function pipeTcp(downstream: Duplex, upstream: Duplex, o: TcpPipeOptions): void {
  const startedAt = o.startedAt ?? process.hrtime.bigint();
  const c = o.metrics.tcpConnection(o.peers, o.flags);
  c.opened.inc();
  const bytes = { received: 0, sent: 0 };
  let spoke = false;
  downstream.on('data', (chunk: Buffer) => {
    c.received.inc(chunk.length);
    bytes.received += chunk.length;
    if (!spoke) {
      spoke = true;
      o.onFirstByte?.();
    }
  });
  upstream.on('data', (chunk: Buffer) => {
    c.sent.inc(chunk.length);
    bytes.sent += chunk.length;
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    c.closed.inc();
    downstream.destroy();
    upstream.destroy();
    logTcp(o, startedAt, bytes);
  };
  // Every byte either way is read from or written to the downstream socket, so its
  // inactivity timer is the stream's.
  (downstream as Timed).setTimeout?.(o.idleTimeoutMs, close);
  downstream.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  downstream.pipe(upstream);
  upstream.pipe(downstream);
}
