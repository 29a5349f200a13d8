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
}

export const CONNECT_TIMEOUT_MS = 10_000;

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

const upstreamKey = (u: Upstream): string =>
  `${u.address}|${u.port}|${u.identities ? 1 : 0}|${u.localAddress ?? ''}`;
const from = (u: Upstream): { localAddress?: string } =>
  u.localAddress ? { localAddress: u.localAddress } : {};

/** h2c session options; a local address needs a connection of our own (Node's types lack it). */
function plainSession(u: Upstream): http2.ClientSessionOptions {
  const { address: host, port, localAddress } = u;
  return localAddress ? { createConnection: () => net.connect({ host, port, localAddress }) } : {};
}

export class UpstreamPool {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
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
    const pool = new Pool(origin, {
      connect: u.identities
        ? { ...tlsOptions(this.creds, u.identities, ALPN.http1), timeout: CONNECT_TIMEOUT_MS }
        : { timeout: CONNECT_TIMEOUT_MS },
      ...from(u),
      keepAliveTimeout: 60_000,
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
    if (existing && !existing.closed && !existing.destroyed) return existing;
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
    session.setTimeout(60_000, () => session.close());
    this.sessions.set(key, session);
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
