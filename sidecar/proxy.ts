// The data path, assembled: the request stacks (see stacks.ts), the HTTP parsers
// and the two capture listeners, over given credentials and mesh config. main.ts
// adds the certificate agent, admin and health; tests drive this part alone.
import type net from 'node:net';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { RESERVED_PORTS } from '../src/capture/capture-spec.js';
import { secureRandom } from '../src/random.js';
import { limitLogger } from '../src/log-limit.js';
import type { Logger } from '../src/log.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import type { Destination } from '../src/net/original-dst.js';
import type { SidecarConfig } from './config.js';
import { Authorizer } from './authz.js';
import type { Credentials } from './credentials.js';
import type { Direction, Handler } from './exchange.js';
import { createHttpServers } from './http-servers.js';
import type { HttpServers } from './http-servers.js';
import { createInboundListener } from './inbound.js';
import { IstioMetrics } from './istio-metrics.js';
import { authorize } from './layers/authorize.js';
import { balance } from './layers/balance.js';
import { fault } from './layers/fault.js';
import { forwardInbound, forwardOutbound } from './layers/forward.js';
import { mirror } from './layers/mirror.js';
import { trafficPolicy } from './layers/policy.js';
import { pool as connectionPool } from './layers/pool.js';
import { requestBody } from './layers/request-body.js';
import { retry } from './layers/retry.js';
import { routes } from './layers/routes.js';
import { timeout } from './layers/timeout.js';
import { rescue } from './layers/rescue.js';
import { route } from './layers/route.js';
import { telemetry } from './layers/telemetry.js';
import { trace } from './layers/trace.js';
import { endpoints } from './layers/endpoints.js';
import { MirrorSender } from './mirror-sender.js';
import { createOutboundListener } from './outbound.js';
import { PeerLabels } from './peers.js';
import { compose } from './stacks.js';
import { TrafficStates } from './traffic-state.js';
import type { OnDemand } from './subscriptions.js';
import { UpstreamPool } from './upstream-pool.js';

export type ProxyConfig = Pick<
  SidecarConfig,
  | 'podNamespace'
  | 'podIp'
  | 'maxConnections'
  | 'maxHeaderBytes'
  | 'idleTimeoutSeconds'
  | 'firstByteTimeoutSeconds'
  | 'headerTimeoutSeconds'
  | 'tcpIdleTimeoutSeconds'
  | 'adminListen'
  | 'healthListen'
  | 'outboundListen'
  | 'inboundListen'
>;

export interface ProxyDeps {
  readonly config: ProxyConfig;
  readonly workload: string;
  readonly registry: Registry;
  readonly log: Logger;
  readonly creds: Credentials;
  readonly mesh: () => MeshIndex;
  readonly accessLog?: Logger | undefined;
  /** A scoped sidecar's subscriptions (discovery); absent with a mesh file. */
  readonly onDemand?: OnDemand | undefined;
  /** SO_ORIGINAL_DST unless given (tests without iptables). */
  readonly originalDst?: (socket: net.Socket) => Destination | undefined;
}

export interface Proxy {
  readonly outbound: net.Server;
  readonly inbound: net.Server;
  readonly outboundHttp: HttpServers;
  readonly inboundHttp: HttpServers;
  readonly pool: UpstreamPool;
  /** Per-Service TrafficPolicy state (budgets, pool counters, outlier sweeps). */
  readonly traffic: TrafficStates;
}

/** Every port the sidecar serves, configured or conventional: never a target of inbound capture. */
export function proxyPorts(config: ProxyConfig): ReadonlySet<number> {
  const listens = [config.adminListen, config.healthListen, config.outboundListen];
  return new Set([...RESERVED_PORTS, ...[...listens, config.inboundListen].map((l) => l.port)]);
}

function refusals(registry: Registry): (direction: Direction) => (reason: string) => void {
  const refusedTotal = new Counter({
    name: 'weft_sidecar_refused_total',
    help: 'Connections and requests refused before reaching an upstream, by reason.',
    labelNames: ['direction', 'reason'],
    registers: [registry],
  });
  return (direction) => (reason) => refusedTotal.inc({ direction, reason });
}

export function createProxy(d: ProxyDeps): Proxy {
  const { config, log, creds, mesh } = d;
  // One limiter for every line a peer can trigger, shared by both directions.
  const peerLog = limitLogger(log);
  const pool = new UpstreamPool(creds);
  const metrics = new IstioMetrics(d.registry);
  const self = {
    namespace: config.podNamespace,
    ip: config.podIp,
    workload: d.workload,
    app: d.workload,
    version: 'unknown',
    principal: () => creds.certificate()?.spiffeId,
  };
  const peers = new PeerLabels(self, mesh);
  const refused = refusals(d.registry);
  const authorizer = new Authorizer(d.registry, peerLog);
  const mirrors = new MirrorSender({
    pool,
    log: peerLog,
    random: secureRandom,
    registry: d.registry,
  });

  const traffic = new TrafficStates(peerLog);
  const outboundStack: Handler = compose([
    telemetry({
      metrics,
      peersOf: (ex) => peers.outbound(ex.target?.service, ex.endpoint),
      accessLog: d.accessLog,
    }),
    rescue(peerLog),
    trace,
    route(mesh),
    routes(mesh),
    trafficPolicy(traffic, mesh),
    fault(),
    // The Service is now known (route, or a rule's backend): a scoped sidecar waits
    // here for its endpoints, before the body is read or the route's timeout runs.
    endpoints(d.onDemand),
    requestBody(),
    mirror(mirrors, mesh),
    timeout,
    retry(),
    connectionPool,
    balance(mesh),
    forwardOutbound(pool, mesh),
  ]);
  const inboundStack: Handler = compose([
    telemetry({
      metrics,
      peersOf: (ex) =>
        peers.inbound(ex.conn.peerIdentity, ex.conn.remoteAddress, ex.conn.destination.port),
      accessLog: d.accessLog,
    }),
    rescue(peerLog),
    trace,
    authorize(authorizer, mesh),
    forwardInbound(pool, self.principal),
  ]);
  const limits = {
    maxHeaderBytes: config.maxHeaderBytes,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
    headersTimeoutMs: config.headerTimeoutSeconds * 1000,
  };
  const servers = (direction: Direction, stack: Handler, upgrade: Handler): HttpServers =>
    createHttpServers({ request: stack, upgrade, refused: refused(direction), peerLog }, limits);
  const outboundHttp = servers(
    'outbound',
    outboundStack,
    // An Upgrade follows the rules' matches, rewrites and backends; it is never
    // retried, mirrored or timed (its connection outlives the request).
    compose([
      rescue(peerLog),
      route(mesh),
      routes(mesh),
      endpoints(d.onDemand),
      balance(mesh),
      forwardOutbound(pool, mesh),
    ]),
  );
  const inboundHttp = servers(
    'inbound',
    inboundStack,
    // An Upgrade (WebSocket) is authorized as the request it starts as.
    compose([rescue(peerLog), authorize(authorizer, mesh), forwardInbound(pool, self.principal)]),
  );
  const common = {
    mesh,
    creds,
    metrics,
    peers,
    log,
    peerLog,
    sniffMs: 100,
    firstByteTimeoutMs: config.firstByteTimeoutSeconds * 1000,
    tcpIdleTimeoutMs: config.tcpIdleTimeoutSeconds * 1000,
    maxConnections: config.maxConnections,
    onDemand: d.onDemand,
    ...(d.originalDst ? { originalDst: d.originalDst } : {}),
  };
  const outbound = createOutboundListener({
    ...common,
    http: outboundHttp,
    refused: refused('outbound'),
    // Opaque TCP meets the same per-Service pool counts as the HTTP stack above.
    traffic,
    accessLog: d.accessLog,
  });
  const inbound = createInboundListener({
    ...common,
    http: inboundHttp,
    refused: refused('inbound'),
    handshakeTimeoutMs: config.firstByteTimeoutSeconds * 1000,
    podIp: config.podIp,
    proxyPorts: proxyPorts(config),
    authorizer,
  });
  return { outbound, inbound, outboundHttp, inboundHttp, pool, traffic };
}
