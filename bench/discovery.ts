// `npm run bench:discovery` (small scale): discovery against the real API server
// with SERVICES Services × ENDPOINTS endpoints and SIDECARS simulated sidecars
// that speak the real protocol and apply the real view code (in this process,
// each from its own loopback address and pod). Reports the snapshot size, the
// bytes of one endpoint change vs a full push, and convergence from an
// EndpointSlice write to every sidecar having applied it.
import { issueServingCertificate } from '../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../discovery/config.js';
import { startDiscovery } from '../discovery/main.js';
import { parseConfig } from '../src/config/parse.js';
import { createLogger } from '../src/log.js';
import { createRegistry } from '../src/metrics.js';
import { startControlPlane } from '../test/controlplane/testenv.js';
import { createNamespace, eventually, uniqueName } from '../test/support/cluster.js';
import { TestCluster } from '../test/support/discovery-cluster.js';
import { discoveryPeer } from '../test/support/discovery-peer.js';
import type { DiscoveryPeer } from '../test/support/discovery-peer.js';
import { meshLeaf } from '../test/support/mtls-attempt.js';
import { installManifests, startTestCa } from '../test/support/weft-ca.js';
import { percentile } from './stats.js';

const SERVICES = Number(process.env.SERVICES ?? 100);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 10);
const SIDECARS = Number(process.env.SIDECARS ?? 50);
const CHANGES = Number(process.env.CHANGES ?? 10);

const endpointIp = (s: number, e: number): string =>
  `198.18.${Math.floor(s / 25)}.${(s % 25) * 10 + e + 1}`;

const cp = await startControlPlane();
try {
  await installManifests(cp);
  const ca = await startTestCa(cp);
  const ns = uniqueName('bench');
  await createNamespace(cp.kubeConfig, ns);
  const cluster = new TestCluster(cp.kubeConfig, ns);
  await cluster.serviceAccount('web');
  for (let i = 0; i < SIDECARS; i++) {
    await cluster.pod({ name: `web-${i}`, serviceAccount: 'web', ip: `127.0.30.${i + 1}` });
  }
  // Change c swaps one endpoint of a service for a new address (one endpoint change).
  const ipsOf = (s: number, c = 0): string[] =>
    Array.from({ length: ENDPOINTS }, (_, e) =>
      e === 0 && c ? `198.19.${c}.${s + 1}` : endpointIp(s, e),
    );
  const slice = (s: number, c = 0): Promise<void> =>
    cluster.slice(
      `svc-${s}`,
      ipsOf(s, c).map((ip) => ({ ip })),
    );
  for (let s = 0; s < SERVICES; s++) {
    await cluster.service(`svc-${s}`, { ports: [{ name: 'http', port: 80, targetPort: 8080 }] });
    await slice(s);
  }
  const serving = await issueServingCertificate(
    ca.ca.authority(),
    { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: ['127.0.0.1'] },
    { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
  );
  const registry = createRegistry('discovery');
  const discovery = await startDiscovery(
    parseConfig(DiscoveryConfigSchema, { listen: '127.0.0.1:0', kubeconfig: ca.kubeconfig }),
    { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
    registry,
    createLogger({ component: 'discovery' }, 'warn'),
  );
  const credential = await meshLeaf(ca.ca.authority(), {
    uri: `spiffe://cluster.local/ns/${ns}/sa/web`,
  });
  const peers: DiscoveryPeer[] = [];
  for (let i = 0; i < SIDECARS; i++) {
    peers.push(
      discoveryPeer({
        port: discovery.port,
        credential,
        roots: ca.ca.roots(),
        localAddress: `127.0.30.${i + 1}`,
      }),
    );
  }
  const full = (p: DiscoveryPeer): boolean => (p.config?.services.length ?? 0) >= SERVICES;
  await eventually(
    'every sidecar to hold the full view',
    () => Promise.resolve(peers.every(full) ? true : undefined),
    120_000,
  );
  const snapshotBytes = JSON.stringify(peers[0]!.messages[0]).length;

  const latencies: number[] = [];
  const deltaBytes: number[] = [];
  for (let c = 1; c <= CHANGES; c++) {
    const s = c % SERVICES;
    const before = peers.map((p) => p.messages.length);
    const t0 = performance.now();
    await slice(s, c);
    const moved = `198.19.${c}.${s + 1}`;
    const has = (p: DiscoveryPeer): boolean =>
      p
        .config!.services.find((x) => x.name === `svc-${s}`)!
        .endpoints.some((e) => e.address === moved);
    await eventually(
      'the change everywhere',
      () => Promise.resolve(peers.every(has) ? true : undefined),
      60_000,
    );
    latencies.push(performance.now() - t0);
    deltaBytes.push(JSON.stringify(peers[0]!.messages.slice(before[0]).at(-1)).length);
  }
  latencies.sort((a, b) => a - b);
  deltaBytes.sort((a, b) => a - b);
  const mem = process.memoryUsage();
  process.stdout.write(
    JSON.stringify(
      {
        services: SERVICES,
        endpointsPerService: ENDPOINTS,
        sidecars: SIDECARS,
        snapshotBytes,
        deltaBytesMedian: percentile(deltaBytes, 50),
        fullOverDeltaRatio: Number((snapshotBytes / percentile(deltaBytes, 50)).toFixed(1)),
        convergenceMs: {
          p50: Math.round(percentile(latencies, 50)),
          p99: Math.round(percentile(latencies, 99)),
        },
        processRssMb: Math.round(mem.rss / 1e6),
        note: 'convergence includes the API write and the 100 ms debounce; sidecars share this process',
      },
      null,
      2,
    ) + '\n',
  );
  for (const p of peers) p.close();
  await discovery.stop();
  await ca.ca.stop();
} finally {
  await cp.stop();
}
