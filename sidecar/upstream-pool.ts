// Pooled connections to upstreams: HTTP/1.1 undici pools and HTTP/2 sessions,
// over mTLS to other sidecars or plaintext to the local app. Every mTLS handshake
// checks that the peer presents a SPIFFE ID the service may have, before a byte of
// the request is written. A new certificate starts a new generation of pools; the
// old one finishes what it carries and closes its idle connections.
import type http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Credentials } from './credentials.js';
import { ALPN, spiffeIdOf } from './credentials.js';
import { Pool } from './undici-pool.js';

export interface Upstream {
  readonly address: string;
  readonly port: number;
  /** mTLS with these acceptable peer identities; undefined for plaintext. */
  readonly identities?: ReadonlySet<string> | undefined;
  /** The local address to dial from: 127.0.0.6 to this pod's app (src/capture/app-source.ts). */
  readonly localAddress?: string | undefined;
  /** The Service's TrafficPolicy connection settings; absent: weft's defaults. */
  readonly connection?: ConnectionSettings | undefined;
}

/** What a TrafficPolicy's connectionPool says about each connection (src/traffic PoolLimits). */
export interface ConnectionSettings {
  readonly connectTimeoutMs: number;
  /** 0: no idle timeout (Istio: `0s` disables it). */
  readonly idleTimeoutMs: number;
  /** 0: unlimited. */
  readonly maxRequestsPerConnection: number;
}

export const CONNECT_TIMEOUT_MS = 10_000;
/** An idle HTTP/1.1 connection's life when the upstream names none, and an h2 session's. */
const IDLE_MS = 60_000;

/**
 * undici's options for a policy's settings. Its keepAliveTimeout applies when the
 * upstream sends no Keep-Alive hint and keepAliveMaxTimeout caps the hint, so the
 * policy's idle timeout bounds both (it only ever shortens a connection's idle life:
 * the peer's own timeout still ends it first). Envoy's max_requests_per_connection
 * N: undici's maxRequestsPerClient lets a connection carry one request more than
 * it says (it marks the request after the limit as the last), so N − 1; and for
 * N = 1, pipelining 0, which sends every request with `connection: close`.
 */
const perConnection = (n: number): { maxRequestsPerClient?: number; pipelining?: number } =>
  n === 1 ? { pipelining: 0 } : n > 1 ? { maxRequestsPerClient: n - 1 } : {};

export function poolOptions(c: ConnectionSettings | undefined): {
  connectTimeoutMs: number;
  keepAliveTimeout: number;
  keepAliveMaxTimeout?: number;
  maxRequestsPerClient?: number;
  pipelining?: number;
} {
  const idle = c?.idleTimeoutMs ?? 0;
  return {
    connectTimeoutMs: c?.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    keepAliveTimeout: idle > 0 ? Math.min(idle, IDLE_MS) : IDLE_MS,
    ...(idle > 0 ? { keepAliveMaxTimeout: idle } : {}),
    ...perConnection(c?.maxRequestsPerConnection ?? 0),
  };
}

/** A TLS peer check for Node's checkServerIdentity hook: SPIFFE ID in the allowed set. */
export function identityCheck(
  allowed: ReadonlySet<string>,
): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const id = spiffeIdOf(cert);
    if (id && allowed.has(id)) return undefined;
    return new WeftError(
      ErrorCode.UpstreamConnectFailed,
      `upstream presented ${id ?? 'no SPIFFE ID'}, not one of the service's identities`,
    );
  };
}

export function tlsOptions(
  creds: Credentials,
  identities: ReadonlySet<string>,
  alpn: string,
): tls.ConnectionOptions {
  const secureContext = creds.clientContext();
  if (!secureContext) {
    throw new WeftError(ErrorCode.Unavailable, 'no workload certificate yet', {
      retryAfterSeconds: 1,
    });
  }
  return {
    secureContext,
    ALPNProtocols: [alpn],
    checkServerIdentity: identityCheck(identities),
  };
}

const upstreamKey = (u: Upstream): string => {
  const c = u.connection;
  const settings = c
    ? `${c.connectTimeoutMs}|${c.idleTimeoutMs}|${c.maxRequestsPerConnection}`
    : '';
  return `${u.address}|${u.port}|${u.identities ? 1 : 0}|${u.localAddress ?? ''}|${settings}`;
};
const from = (u: Upstream): { localAddress?: string } =>
  u.localAddress ? { localAddress: u.localAddress } : {};

/** h2c session options; a local address needs a connection of our own (Node's types lack it). */
function plainSession(u: Upstream): http2.ClientSessionOptions {
  const { address: host, port, localAddress } = u;
  return localAddress ? { createConnection: () => net.connect({ host, port, localAddress }) } : {};
}

export class UpstreamPool {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  /** Requests each HTTP/2 session was handed out for (maxRequestsPerConnection). */
  private readonly served = new WeakMap<http2.ClientHttp2Session, number>();
  private readonly pools = new Map<string, { pool: Pool; identities?: ReadonlySet<string> }>();

  constructor(private readonly creds: Credentials) {
    creds.on('change', () => this.rotate());
  }

  /** Idle connections made with the old certificate close; busy ones finish first. */
  private rotate(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    // close() lets requests in flight finish, then ends the connections.
    for (const { pool } of this.pools.values()) void pool.close();
    this.pools.clear();
  }

  /** The HTTP/1.1 pool for this upstream (mTLS to a sidecar, or plaintext to the app). */
  pool(u: Upstream): Pool {
    const key = upstreamKey(u);
    const existing = this.pools.get(key);
    // A config reload makes new identity sets: connections checked against the old one go.
    if (existing && existing.identities === u.identities) return existing.pool;
    if (existing) void existing.pool.close();
    const origin = `${u.identities ? 'https' : 'http'}://${hostLiteral(u.address)}:${u.port}`;
    const { connectTimeoutMs: timeout, ...keepAlive } = poolOptions(u.connection);
    const pool = new Pool(origin, {
      connect: u.identities
        ? { ...tlsOptions(this.creds, u.identities, ALPN.http1), timeout }
        : { timeout },
      ...from(u),
      ...keepAlive,
      // Streams may be long: no overall timeouts, as with Envoy's default route.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.pools.set(key, { pool, ...(u.identities ? { identities: u.identities } : {}) });
    return pool;
  }

  /** Options for a connection of its own (an Upgrade takes the connection over). */
  dedicated(u: Upstream): http.RequestOptions {
    const base = { host: u.address, port: u.port, agent: false as const, ...from(u) };
    return u.identities ? { ...base, ...tlsOptions(this.creds, u.identities, ALPN.http1) } : base;
  }

  /** A shared HTTP/2 session to this upstream (h2 over mTLS, or h2c to the app). */
  http2(u: Upstream): http2.ClientHttp2Session {
    const key = upstreamKey(u);
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return this.handOut(key, existing, u);
    const session = u.identities
      ? http2.connect(`https://${hostLiteral(u.address)}:${u.port}`, {
          ...tlsOptions(this.creds, u.identities, ALPN.http2),
          ...from(u),
        })
      : http2.connect(`http://${hostLiteral(u.address)}:${u.port}`, plainSession(u));
    const forget = (): void => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.on('close', forget);
    session.on('goaway', forget);
    session.on('error', forget);
    // Node's http2.connect has no connect timeout of its own: a peer that never
    // answers would hold the session (and every request queued on it) until TCP gives up.
    const { connectTimeoutMs, keepAliveTimeout } = poolOptions(u.connection);
    const connecting = setTimeout(() => {
      const reason = `no connection to ${u.address}:${u.port} within ${connectTimeoutMs} ms`;
      session.destroy(new WeftError(ErrorCode.UpstreamConnectFailed, reason));
    }, connectTimeoutMs);
    connecting.unref();
    session.once('connect', () => clearTimeout(connecting));
    session.once('close', () => clearTimeout(connecting));
    session.setTimeout(keepAliveTimeout, () => session.close());
    this.sessions.set(key, session);
    return this.handOut(key, session, u);
  }

  /**
   * A session for one request. With maxRequestsPerConnection N, the Nth request is
   * its last: the session leaves the map (the next request opens a new one) and
   * closes once that request's stream, opened synchronously by the caller, is under
   * way; close() lets open streams finish.
   */
  private handOut(
    key: string,
    session: http2.ClientHttp2Session,
    u: Upstream,
  ): http2.ClientHttp2Session {
    const max = u.connection?.maxRequestsPerConnection ?? 0;
    if (max === 0) return session;
    const n = (this.served.get(session) ?? 0) + 1;
    this.served.set(session, n);
    if (n >= max) {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
      setImmediate(() => session.close());
    }
    return session;
  }

  close(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
    for (const { pool } of this.pools.values()) void pool.destroy();
    this.pools.clear();
  }
}

export const hostLiteral = (address: string): string =>
  address.includes(':') ? `[${address}]` : address;
