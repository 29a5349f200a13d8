// An opaque TCP connection's way to its upstream under the Service's TrafficPolicy
// connection pool, as Envoy's tcp_proxy meets its cluster's circuit breakers and
// connect_timeout: admitted against the Service's count of open connections
// (maxConnections, per calling sidecar, across the Service's endpoints; over it the
// connection is refused, UO) and then dialled within connectTimeout (the TCP connect
// and, to a sidecar, the mTLS handshake; past it, or on any failure to connect, UF).
// The slot is given back exactly once: when the dial fails, or when the connected
// upstream socket closes, which pipeTcp makes happen whichever side ends first.
// The count is src/traffic's PoolGate `connections`, the same per-Service state the
// HTTP layers use, so a policy change starts it afresh as it does theirs.
import type net from 'node:net';
import tls from 'node:tls';
import type { ServiceTraffic } from './traffic-state.js';
import { CONNECT_TIMEOUT_MS } from './upstream-pool.js';
import type { TrySignal } from './try-signal.js';

/** Starts connecting (net.connect or tls.connect); may throw (no certificate yet). */
export type Dial = () => net.Socket;

export type TcpUpstream =
  | { readonly ok: true; readonly socket: net.Socket }
  | {
      readonly ok: false;
      /** UO: over maxConnections; UF: no connection; '-': the client left first. */
      readonly flag: 'UO' | 'UF' | '-';
      readonly reason: string;
    };

type Failed = Extract<TcpUpstream, { ok: false }>;
const failed = (flag: Failed['flag'], reason: string): Failed => ({ ok: false, flag, reason });

/**
 * Resolves once `dial`'s socket is connected (TLS: handshake done), or with UF when it
 * fails, closes or takes longer than `timeoutMs`; with '-' when `signal` aborts first.
 * A socket that did not connect is destroyed here.
 */
export function connectWithin(
  dial: Dial,
  timeoutMs: number,
  signal?: TrySignal,
): Promise<TcpUpstream> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(failed('-', 'client closed'));
    let up: net.Socket;
    try {
      up = dial();
    } catch (err) {
      return resolve(failed('UF', (err as Error).message));
    }
    let settled = false;
    const end = (r: TcpUpstream): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      up.off(connected, onConnected).off('close', onClose);
      if (!r.ok) up.destroy();
      resolve(r);
    };
    const connected = up instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
    const onConnected = (): void => end({ ok: true, socket: up });
    const onClose = (): void => end(failed('UF', 'upstream closed while connecting'));
    const aborted = (): void => end(failed('-', 'client closed'));
    const timer = setTimeout(
      () => end(failed('UF', `no connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    up.once(connected, onConnected).once('close', onClose);
    // Stays on: an error after the connect is pipeTcp's, and a no-op here.
    up.on('error', (err) => end(failed('UF', err.message)));
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Admits one opaque TCP connection to the Service of `traffic` (undefined: a pod
 * dialled by address, which no policy covers) and connects it within the policy's
 * connect timeout, weft's 10 s without one.
 */
export async function openTcpUpstream(
  traffic: ServiceTraffic | undefined,
  dial: Dial,
  signal?: TrySignal,
): Promise<TcpUpstream> {
  if (traffic && !traffic.gate.connect().admitted) {
    return failed('UO', `${traffic.service}: connection pool full (maxConnections)`);
  }
  // The gate admitted into; a policy change gives the Service a new one meanwhile.
  let held = traffic?.gate;
  const release = (): void => {
    held?.connectionClosed();
    held = undefined;
  };
  const timeoutMs = traffic?.settings.connectionPool.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const r = await connectWithin(dial, timeoutMs, signal);
  if (!r.ok) release();
  // 'close' comes once, after the socket is destroyed whichever way (end, error, reset).
  else r.socket.once('close', release);
  return r;
}
