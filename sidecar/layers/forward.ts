// The innermost layers: send the exchange upstream. Outbound goes to the chosen
// endpoint's sidecar over mTLS (plaintext only to endpoints marked without one);
// inbound goes to the app on the pod IP the peer dialled (never loopback, see
// inbound.ts), from 127.0.0.6 so the capture lets it through (app-source.ts),
// telling it who called (XFCC, as Envoy does).
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Exchange, Layer } from '../exchange.js';
import { authorityOf, isHttp2Request } from '../exchange.js';
import { forwardPooled } from '../forward-pooled.js';
import { forwardHttp2 } from '../forward-http2.js';
import { forwardUpgrade } from '../forward-upgrade.js';
import type { Upstream, UpstreamPool } from '../upstream-pool.js';
import { takesMtls } from '../../src/mesh/endpoint-mtls.js';
import { appSource } from '../../src/capture/app-source.js';

function send(
  pool: UpstreamPool,
  ex: Exchange,
  u: Upstream,
  extra: Record<string, string>,
): Promise<void> {
  if (ex.upgrade)
    return forwardUpgrade(ex, pool.dedicated(u), { host: authorityOf(ex.req), ...extra });
  if (isHttp2Request(ex.req)) return forwardHttp2(ex, pool.http2(u), extra);
  return forwardPooled(ex, pool.pool(u), { host: authorityOf(ex.req), ...extra });
}

export const forwardOutbound =
  (pool: UpstreamPool, mesh: () => MeshIndex): Layer =>
  () =>
  (ex) => {
    const { service, port } = ex.target!;
    const endpoint = ex.endpoint!;
    const to = port.targetPort ?? port.port;
    const mtls = takesMtls(endpoint, to);
    const identities = mtls ? mesh().identities(service) : undefined;
    ex.upstreamIdentity = mtls ? endpoint.identity : undefined;
    // The Service's TrafficPolicy sets each connection's limits (connect and idle
    // timeouts, requests per connection); a pool per setting, as Envoy's per cluster.
    const connection = ex.traffic?.settings.connectionPool;
    const u = { address: endpoint.address, port: to, identities, connection };
    return send(pool, ex, u, {});
  };

export const forwardInbound =
  (pool: UpstreamPool, self: () => string | undefined): Layer =>
  () =>
  (ex) => {
    const { address, port } = ex.conn.destination;
    const u = { address, port, localAddress: appSource(address) };
    // Replaces whatever the caller sent: only this sidecar vouches for the peer.
    const xfcc = ex.conn.peerIdentity ? `By=${self() ?? ''};URI=${ex.conn.peerIdentity}` : '';
    delete ex.req.headers['x-forwarded-client-cert'];
    return send(pool, ex, u, xfcc ? { 'x-forwarded-client-cert': xfcc } : {});
  };
