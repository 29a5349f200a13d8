// Assembles the sidecar: certificate agent and trust bundle → credentials; mesh
// config → index; the data path (proxy.ts: request stacks and listeners); admin
// and health servers; drain and shutdown.
import { readFile, unwatchFile, watchFile } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import type { Registry } from 'prom-client';
import type { Probers } from '../src/app-probes.js';
import { CertificateAgent } from '../src/cert-agent/agent.js';
import type { Logger } from '../src/log.js';
import { CONTROL_PLANE_SERVICE_ACCOUNT, WEFT_NAMESPACE } from '../src/names.js';
import type { SidecarConfig } from './config.js';
import { Credentials } from './credentials.js';
import { DiscoveryClient } from './discovery-client.js';
import { boundedServerOptions, drainServers } from './http-servers.js';
import { MeshSource } from './mesh-source.js';

export interface RunningSidecar {
  readonly ports: { admin: number; health: number; outbound: number; inbound: number };
  readonly credentials: Credentials;
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface SidecarExtras {
  readonly probers?: Probers;
  readonly accessLog?: Logger;
  /** Called by /quitquitquit after the sidecar has stopped. */
  readonly onQuit?: () => void;
}

function listen(
  server: net.Server | http.Server,
  at: { host: string; port: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: net.Server | http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Workload name for metrics: a Deployment's pod name without its two hash suffixes. */
export function workloadOf(podName: string): string {
  const m = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(podName);
  return m ? m[1]! : podName;
}

function watchTrustBundle(file: string, creds: Credentials, intervalMs: number, log: Logger): void {
  const read = (): void =>
    readFile(file, 'utf8', (err, text) => {
      if (err) return log.debug('trust bundle not readable yet', { file, code: err.code });
      creds.setRoots(text);
    });
  read();
  watchFile(file, { interval: intervalMs }, () => {
    log.info('trust bundle changed; reloading', { file });
    read();
  });
}

export async function startSidecar(
  config: SidecarConfig,
  registry: Registry,
  log: Logger,
  extras: SidecarExtras = {},
): Promise<RunningSidecar> {
  const source = new MeshSource(
    { file: config.meshConfig, discovery: config.discoveryAddress !== undefined },
    config.podNamespace,
    registry,
    log,
  );
  await source.load();
  source.watch(config.reloadSeconds * 1000);
  const mesh = source.current;

  const creds = new Credentials();
  const agent = new CertificateAgent({
    caUrl: `https://${config.caAddress}`,
    tokenFile: config.tokenFile,
    trustBundleFile: config.trustBundleFile,
    registry,
    log,
    ...(config.certTtlSeconds ? { ttlSeconds: config.certTtlSeconds } : {}),
  });
  agent.on('certificate', (cert) => creds.setCertificate(cert));
  watchTrustBundle(config.trustBundleFile, creds, config.reloadSeconds * 1000, log);
  void agent.start();
  const discovery = config.discoveryAddress
    ? new DiscoveryClient({
        addresses: config.discoveryAddress,
        serverIdentity: `spiffe://${config.trustDomain}/ns/${WEFT_NAMESPACE}/sa/${CONTROL_PLANE_SERVICE_ACCOUNT}`,
        clusterDomain: config.clusterDomain,
        creds,
        registry,
        log: log.child({ part: 'discovery' }),
        apply: (c) => source.setConfig(c),
        waitMs: config.discoveryWaitMs,
        idleMs: config.discoveryIdleSeconds * 1000,
      })
    : undefined;
  discovery?.start();
  // The data path and admin modules (undici: most of what the sidecar loads) are
  // imported only now, so that loading them overlaps the CA round trip and
  // discovery's first view, which every pod's start waits for.
  const [{ createProxy }, { adminApp, healthApp }] = await Promise.all([
    import('./proxy.js'),
    import('./admin.js'),
  ]);

  const workload = config.workload ?? workloadOf(config.podName);
  const { outbound, inbound, outboundHttp, inboundHttp, pool, traffic } = createProxy({
    config,
    workload,
    registry,
    log,
    creds,
    mesh,
    accessLog: extras.accessLog,
    onDemand: discovery,
  });

  let draining: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const ready = (): string | undefined => {
    if (draining) return 'draining';
    if (!creds.ready()) return 'no workload certificate yet';
    if (discovery && !discovery.ready()) return 'no mesh view from discovery yet';
    return undefined;
  };
  // Inbound stops taking connections and asks open ones to close; outbound keeps
  // serving the app, which may still need its dependencies while it shuts down.
  const drain = (): Promise<void> =>
    (draining ??= (async () => {
      log.info('draining', { seconds: config.drainSeconds });
      inbound.close(); // stop accepting; open connections are asked to finish below
      const tick = setInterval(() => drainServers(inboundHttp), 250);
      drainServers(inboundHttp);
      await new Promise((r) => setTimeout(r, config.drainSeconds * 1000));
      clearInterval(tick);
    })());
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await drain();
      agent.stop();
      source.stop();
      discovery?.stop();
      unwatchFile(config.trustBundleFile);
      for (const s of [outboundHttp, inboundHttp]) {
        s.h1.closeAllConnections();
        for (const session of s.h2Sessions) session.destroy();
      }
      pool.close();
      traffic.stop();
      // Opaque TCP streams have no request boundary to stop at: bounded wait, then go.
      const closed = Promise.all([close(outbound), close(adminServer), close(healthServer)]);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    })());

  const adminDeps = {
    registry,
    log,
    ready,
    creds,
    mesh,
    ...(discovery ? { discovery: () => discovery.status() } : {}),
    drain: () => void drain(),
    quit: () => void stop().then(() => extras.onQuit?.()),
    probers: extras.probers ?? {},
    podIp: config.podIp,
  };
  const bounded = boundedServerOptions(config.headerTimeoutSeconds * 1000);
  const adminServer = http.createServer(bounded, adminApp(adminDeps));
  const healthServer = http.createServer(bounded, healthApp(adminDeps));
  const ports = {
    outbound: await listen(outbound, config.outboundListen),
    inbound: await listen(inbound, config.inboundListen),
    admin: await listen(adminServer, config.adminListen),
    health: await listen(healthServer, config.healthListen),
  };
  log.info('sidecar listening', ports);
  return { ports, credentials: creds, drain, stop };
}
