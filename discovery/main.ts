// Assembles discovery: the informers (one watch per kind), the debounced
// rebuild, and the mTLS HTTP/2 server sidecars stream their views from.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { loadKubeConfig } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import { AuthzStatusWriter } from './authz-status.js';
import { limitLogger } from '../src/log-limit.js';
import { keepAlive } from '../src/net/http2-keepalive.js';
import { ClusterCache } from './cluster-cache.js';
import { RouteStatusWriter } from './route-status.js';
import { statusWorld } from './route-world.js';
import { TrafficStatusWriter } from './traffic-status.js';
import type { DiscoveryConfig } from './config.js';
import { startDebugServer } from './debug-server.js';
import { createDiscoveryMetrics } from './metrics.js';
import { DISCOVERY_DEBUG_PORT } from '../src/debug/syncz.js';
import type { ConnectionStatus } from './stream-server.js';
import { DiscoveryStreams } from './stream-server.js';

/** The serving certificate, its key, and the roots client certificates must chain to. */
export interface DiscoveryTls {
  readonly cert: string;
  readonly key: string;
  readonly roots: string;
}

export interface RunningDiscovery {
  readonly port: number;
  /** The loopback port of /debug/syncz. */
  readonly debugPort: number;
  /** New handshakes take the new certificate and roots; open streams keep theirs. */
  setTls(tls: DiscoveryTls): void;
  connections(): ConnectionStatus[];
  /**
   * Undefined when serving (informers listed, stream server listening), else why not.
   * `watches: false` leaves out watches failing after start-up (the control plane's
   * CA and webhook share this readiness and must not go with a shared API server).
   */
  ready(opts?: { watches?: boolean }): string | undefined;
  stop(): Promise<void>;
}

const secure = (tls: DiscoveryTls): http2.SecureServerOptions => ({
  cert: tls.cert,
  key: tls.key,
  ca: tls.roots,
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
});

export async function startDiscovery(
  config: DiscoveryConfig,
  tls: DiscoveryTls,
  registry: Registry,
  log: Logger,
): Promise<RunningDiscovery> {
  const metrics = createDiscoveryMetrics(registry);
  const kc = loadKubeConfig(config.kubeconfig);
  // Status only from a complete picture: a Service not yet listed is not "not found",
  // and a ReferenceGrant not yet listed is not "not permitted".
  const writeStatus = (): void => {
    if (cache.unlisted().length) return;
    void trafficStatus.reconcile();
    if (cache.routesListed()) void routeStatus.reconcile();
  };
  const cache: ClusterCache = new ClusterCache(config, metrics, log, () => {
    streams.rebuild();
    writeStatus();
  });
  const streams = new DiscoveryStreams(cache, config, metrics, log);
  // HTTPRoute/GRPCRoute status (Accepted, ResolvedRefs), against the same caches.
  const routeStatus = new RouteStatusWriter(
    kc.makeApiClient(CustomObjectsApi),
    {
      routes: () => cache.routes.values(),
      world: (now) =>
        statusWorld(cache.services, cache.referenceGrants, now, config.requireReferenceGrant),
    },
    log,
  );
  // TrafficPolicy status (Accepted / Invalid / Conflicted / TargetNotFound), against the caches.
  const trafficStatus = new TrafficStatusWriter(
    kc.makeApiClient(CustomObjectsApi),
    {
      policies: () => cache.trafficPolicies.values(),
      serviceExists: (ns, n) => cache.services.has(`${ns}/${n}`),
    },
    log,
  );
  // AuthorizationPolicy status (Accepted / Invalid, Warnings), from the cache's informer.
  const authzStatus = new AuthzStatusWriter(kc.makeApiClient(CustomObjectsApi), log);
  cache.authorizationPolicyObservers.push((o) => void authzStatus.observe(o));
  await cache.start(kc);
  streams.rebuild(); // the informers have listed: the first view is complete
  writeStatus();

  // One stream per connection: a sidecar needs one, and more would let one pod hold
  // many streams' buffers in the control plane.
  const server = http2.createSecureServer({
    ...secure(tls),
    settings: { maxConcurrentStreams: 1 },
  });
  server.on('stream', (stream, headers) => {
    try {
      streams.handle(stream, headers);
    } catch (err) {
      // A stream the peer reset between its HEADERS and our answer: respond() throws.
      log.debug('discovery stream gone before it was answered', { err });
      stream.destroy();
    }
  });
  // Every connection is pinged: one whose peer stopped answering is closed and counted,
  // rather than holding its buffers until TCP gives up hours later.
  const limited = limitLogger(log);
  server.on('session', (session) =>
    keepAlive(session, {
      intervalMs: config.pingIntervalMs,
      deadlineMs: config.pingDeadlineMs,
      onTimeout: () => {
        metrics.closed.inc({ reason: 'ping_timeout' });
        limited.warn('discovery connection closed: no answer to PING', {}, 'ping_timeout');
      },
    }),
  );
  // A client that fails the handshake (no or foreign certificate) never gets a stream.
  server.on('tlsClientError', (err) => log.debug('discovery handshake failed', { err }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const debug = await startDebugServer(
    config.debugListen ?? {
      host: '127.0.0.1',
      port: config.listen.port === 0 ? 0 : DISCOVERY_DEBUG_PORT,
    },
    () => streams.status(),
    log,
  ).catch(async (err: unknown) => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    routeStatus.stop();
    trafficStatus.stop();
    await cache.stop();
    throw err;
  });
  log.info('discovery ready', { port });
  let stopping = false;
  return {
    port,
    debugPort: debug.port,
    setTls: (next) => server.setSecureContext(secure(next)),
    connections: () => streams.status(),
    ready: ({ watches = true } = {}) => {
      if (stopping) return 'discovery stopping';
      if (!server.listening) return 'discovery not listening';
      const unlisted = cache.unlisted();
      if (unlisted.length) return `discovery has not listed ${unlisted.join(', ')}`;
      // Every kind listed but not yet rebuilt (a late list waits for the debounced
      // rebuild): streams would still be refused, so not ready either.
      if (!streams.hasCompleteView) return 'discovery is building its first complete view';
      if (!watches) return undefined;
      const failing = cache.failing(config.watchGraceMs);
      if (!failing.length) return undefined;
      const which = failing.map((f) => `${f.kind} (${Math.round(f.forMs / 1000)}s)`).join(', ');
      return `discovery's watch of ${which} is failing; serving its last view`;
    },
    stop: async () => {
      stopping = true;
      streams.closeAll();
      await debug.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      routeStatus.stop();
      trafficStatus.stop();
      await cache.stop();
    },
  };
}
