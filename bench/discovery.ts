// `npm run bench:discovery`: issue 12's benchmark, in one run against the real API
// server. SERVICES Services × ENDPOINTS endpoints (default 1000 × 10) and SIDECARS
// (default 1000) simulated sidecars in WORKERS child processes, each sim its own
// pod at its own loopback address with its own certificate, speaking the real
// protocol over mTLS and applying every message with the sidecar's own view code
// (discovery-sim.ts). Discovery is the built `weft discovery`, in its own process,
// so its CPU and memory are its alone. Reports:
//   - the snapshot size, and the bytes of one endpoint change vs that full push;
//   - convergence: from an EndpointSlice write until every sim has applied it,
//     over CHANGES changes spaced GAP_MS apart (p50/p99, and per sim);
//   - discovery's vCPU while the catalog is created, during the connect storm and
//     during the changes, and its peak resident memory;
//   - memory with the whole catalog minus with an empty mesh: a sim's heap (one
//     sim alone in a process, compiled config kept), and a real `weft sidecar`'s RSS.
// Everything it started is stopped on success, error or Ctrl-C.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueServingCertificate } from '../ca/serving-cert.js';
import { CONTROL_PLANE_SERVICE_ACCOUNT, WEFT_NAMESPACE } from '../src/names.js';
import { startControlPlane } from '../test/controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../test/support/cluster.js';
import { TestCluster } from '../test/support/discovery-cluster.js';
import { installManifests, startTestCa } from '../test/support/weft-ca.js';
import { Fleet } from './discovery-fleet.js';
import type { Watched } from './discovery-fleet.js';
import type { DiscoveryProcess, RealSidecar } from './discovery-procs.js';
import {
  cpuMeter,
  rssPeak,
  settledRss,
  startDiscoveryProcess,
  startRealSidecar,
} from './discovery-procs.js';
import { createServices, createSimPods, movedIp, simSpecs, sliceFor } from './discovery-setup.js';
import type { SimSpec } from './discovery-sim.js';
import { epochMs } from './discovery-sim.js';
import { rssMb } from './proc-stats.js';
import { percentile, printTable, writeJson } from './stats.js';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const SERVICES = num('SERVICES', 1000);
const ENDPOINTS = num('ENDPOINTS', 10);
const SIDECARS = num('SIDECARS', 1000);
const CHANGES = Math.min(150, num('CHANGES', 20));
const WORKERS = num('WORKERS', 4);
const GAP_MS = num('GAP_MS', 1000);
const SETTLE_MS = num('SETTLE_MS', 5000);
/** No change starts after this many minutes from the start: the run reports what it has. */
const DEADLINE_MIN = num('DEADLINE_MIN', 60);
const STARTED = Date.now();
/**
 * Discovery's keepalive for the run. Its defaults (PING every 10 s, 5 s to answer) close a
 * stream whose sidecar is too busy to answer; here 250 sims share a worker and the machine
 * has 2 cores, so a worker applying a queue of snapshots answers late and the storm would
 * turn into reconnects. Production sidecars each have their own CPU.
 */
const PING_DEADLINE_MS = num('PING_DEADLINE_MS', 120_000);
const LOAD_AT_START = os.loadavg().map((l) => Number(l.toFixed(2)));
/**
 * SCOPED=0: every sim a wildcard sidecar (the whole view, every change to every sim:
 * the worst case, and the protocol before scoping). Default: scoped, as real sidecars
 * are, each subscribed to one of HOT shared services (SIDECARS / HOT callers each)
 * and a few others of its own.
 */
const SCOPED = process.env.SCOPED !== '0';
const HOT = 10;

/** The endpoints sim `i` subscribes to, as the services a real sidecar would call. */
function subscriptionFor(i: number, ns: string): string[] {
  const services = new Set([i % HOT, ...[0, 101, 211, 307].map((k) => (i * 37 + k) % SERVICES)]);
  return [...services].map((s) => `endpoints/${ns}/svc-${s}`);
}

/**
 * The Service change `c` moves an endpoint of. Scoped: odd changes hit sim c's own
 * service (a few subscribers), even ones a shared service (SIDECARS / HOT of them).
 */
const changedService = (c: number): number =>
  SCOPED && c % 2 === 0 ? c % HOT : (c * 37) % SERVICES;

const say = (line: string): boolean =>
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What to stop, newest first, whatever happened. */
const cleanups: (() => unknown)[] = [];
async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      say(`cleanup: ${String(err)}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** Prints the fleet's progress every 2 s while `fn` runs. */
async function withProgress<T>(fleet: Fleet, what: string, fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    const p = fleet.summary();
    say(
      `${what}: ${p.connected}/${SIDECARS} connected, ${p.synced} synced, ` +
        `fewest services held ${p.minServices}, NACKs ${p.nacks}`,
    );
  }, 2000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

interface Memory {
  simHeapMb: number;
  sidecarRssMb: number;
  discoveryRssMb: number;
}

async function memoryNow(
  probe: Fleet,
  real: RealSidecar,
  discovery: DiscoveryProcess,
): Promise<Memory> {
  const [heap, sidecarRssMb] = await Promise.all([probe.heap(), settledRss(real.pid, SETTLE_MS)]);
  return { simHeapMb: heap.heapUsedMb, sidecarRssMb, discoveryRssMb: rssMb(discovery.pid) };
}

/** Ready, and no message applied for 3 s (the view it holds is the one in force). */
async function realSidecarSettled(real: RealSidecar): Promise<void> {
  let last = -1;
  let quietSince = Date.now();
  await eventually(
    'the real sidecar to apply its view and go quiet',
    async () => {
      if (real.weft.child.exitCode !== null) throw new Error(real.weft.output.join('\n'));
      const applied = (await real.ready()) ? await real.applied() : -1;
      if (applied !== last) [last, quietSince] = [applied, Date.now()];
      return applied > 0 && Date.now() - quietSince >= 3000 ? true : undefined;
    },
    600_000,
  );
}

async function realSidecarHolds(real: RealSidecar, services: number): Promise<number> {
  const held = await real.services();
  if (held < services) throw new Error(`the real sidecar holds ${held} services, not ${services}`);
  return held;
}

interface Changes {
  /** Per change: write → the last subscribed sim applied it. */
  every: number[];
  /** Per sim and change: write → that sim applied it. */
  each: number[];
  bytes: number[];
  applyMs: number[];
  /** Per change: write → the heap probe (one sim alone in its process, first to connect) applied it. */
  probe: number[];
}

async function runChanges(
  fleets: { fleet: Fleet; probe: Fleet },
  ns: string,
  slice: ReturnType<typeof sliceFor>,
): Promise<Changes> {
  const { fleet, probe } = fleets;
  const out: Changes = { every: [], each: [], bytes: [], applyMs: [], probe: [] };
  for (let c = 1; c <= CHANGES; c++) {
    if (Date.now() - STARTED > DEADLINE_MIN * 60_000) {
      say(`DEADLINE_MIN (${DEADLINE_MIN}) reached: reporting ${c - 1} changes`);
      break;
    }
    const s = changedService(c);
    // Watch first: the sims must be listening before the change can reach them.
    const resource = `endpoints/${ns}/svc-${s}`;
    const watched: Promise<Watched> = fleet.watch(resource, movedIp(s, c), 600_000);
    const probed: Promise<Watched> = probe.watch(resource, movedIp(s, c), 600_000);
    const t0 = epochMs();
    await slice(s, c);
    const [w, p] = await Promise.all([watched, probed]);
    out.probe.push(p.at[0]! - t0);
    const lat = w.at.map((at) => at - t0);
    if (!lat.length) throw new Error(`no sim is subscribed to svc-${s}: nothing measured`);
    out.every.push(Math.max(...lat));
    out.each.push(...lat);
    out.bytes.push(...w.bytes);
    out.applyMs.push(...w.applyMs);
    say(
      `change ${c}/${CHANGES} (svc-${s}, ${lat.length} subscribed): every sim in ${Math.round(Math.max(...lat))} ms, ` +
        `first in ${Math.round(Math.min(...lat))} ms, ${percentile(sorted(w.bytes), 50)} B`,
    );
    await sleep(GAP_MS);
  }
  return out;
}

async function main(): Promise<void> {
  say(
    `bench:discovery: ${SERVICES} services × ${ENDPOINTS} endpoints, ${SIDECARS} ${SCOPED ? 'scoped' : 'wildcard'} sims in ${WORKERS} workers; load average ${LOAD_AT_START.join(' ')}`,
  );
  say('starting kube-apiserver + etcd');
  const cp = await startControlPlane({ serviceCidr: '10.0.0.0/20', onProgress: (l) => say(l) });
  cleanups.push(() => cp.stop());
  await installManifests(cp);
  const ca = await startTestCa(cp);
  cleanups.push(() => ca.ca.stop());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-discovery-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ns = uniqueName('bench');
  await createNamespace(cp.kubeConfig, ns);
  const cluster = new TestCluster(cp.kubeConfig, ns);
  await cluster.serviceAccount('web');
  const spiffeId = `spiffe://cluster.local/ns/${ns}/sa/web`;

  // The sims' pods, one more for the heap probe, one for the full push, and the real
  // sidecar's at 127.0.0.1.
  await createSimPods(cluster, 'web', SIDECARS + 2);
  await cluster.pod({ name: 'real-sidecar', serviceAccount: 'web', ip: '127.0.0.1' });
  // The heap probe and the full push's sim (the last two specs) stay wildcards.
  const specs: SimSpec[] = (await simSpecs(ca.ca.authority(), spiffeId, SIDECARS + 2)).map(
    (spec) =>
      SCOPED && spec.index < SIDECARS
        ? { ...spec, subscribe: subscriptionFor(spec.index, ns) }
        : spec,
  );

  const serving = await issueServingCertificate(
    ca.ca.authority(),
    { trustDomain: 'cluster.local', namespace: WEFT_NAMESPACE, dnsNames: [], ips: ['127.0.0.1'] },
    { defaultLifetimeSeconds: 7200, maxLifetimeSeconds: 7200, backdateSeconds: 60 },
  );
  const roots = ca.ca.roots();
  say('starting `weft discovery` (empty mesh)');
  const discovery = await startDiscoveryProcess(
    dir,
    ca.kubeconfig,
    { cert: serving.cert, key: serving.key, roots },
    [
      '--ping-interval-ms',
      String(PING_DEADLINE_MS),
      '--ping-deadline-ms',
      String(PING_DEADLINE_MS),
    ],
  );
  cleanups.push(() => discovery.weft.signal('SIGKILL'));
  const peak = rssPeak(discovery.pid);
  cleanups.push(() => peak.stop());
  const serverIdentity = `spiffe://cluster.local/ns/${WEFT_NAMESPACE}/sa/${CONTROL_PLANE_SERVICE_ACCOUNT}`;
  const start = { port: discovery.port, roots, serverIdentity };

  // Empty mesh: the heap probe (one sim alone, compiled config kept) and a real sidecar.
  const probe = Fleet.start(1, [specs[SIDECARS]!], { ...start, keepConfig: true }, ['--expose-gc']);
  cleanups.push(() => probe.stop());
  const rootsFile = path.join(dir, 'roots.pem');
  writeFileSync(rootsFile, roots);
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, await createToken(cp, ns, 'web'), { mode: 0o600 });
  const real = await startRealSidecar({
    discovery: `127.0.0.1:${discovery.port}`,
    ca: `127.0.0.1:${ca.ca.port}`,
    tokenFile,
    rootsFile,
    pod: 'real-sidecar',
    namespace: ns,
    ip: '127.0.0.1',
  });
  cleanups.push(() => real.weft.signal('SIGKILL'));
  await probe.awaitServices(0, 120_000);
  await realSidecarSettled(real);
  const empty = await memoryNow(probe, real, discovery);
  // An "empty" mesh still holds the API server's own Service and weft's.
  const baseline = await realSidecarHolds(real, 0);
  const target = baseline + SERVICES;
  say(`empty mesh (${baseline} services): ${JSON.stringify(empty)}`);

  // The catalog.
  const slice = sliceFor(cluster, ENDPOINTS);
  const buildCpu = cpuMeter([discovery.pid]);
  await createServices(cluster, SERVICES, ENDPOINTS);
  await probe.awaitServices(target, 600_000);
  const catalogPhase = buildCpu();
  await realSidecarSettled(real);
  const full = await memoryNow(probe, real, discovery);
  await realSidecarHolds(real, target);
  say(`full catalog: ${JSON.stringify(full)}`);

  // The connect storm: every sim at once, each to be sent the catalog (scoped) or everything.
  say(`connect storm: ${SIDECARS} ${SCOPED ? 'scoped' : 'wildcard'} sims`);
  const stormCpu = cpuMeter([discovery.pid]);
  const fleet = Fleet.start(WORKERS, specs.slice(0, SIDECARS), { ...start, keepConfig: false });
  cleanups.push(() => fleet.stop());
  const simStormCpu = cpuMeter(fleet.pids());
  await withProgress(fleet, 'storm', () => fleet.awaitServices(target, 900_000));
  const storm = stormCpu();
  const simStorm = simStormCpu();
  const stormPeakMb = peak.peakMb();
  say(
    `storm: every sim synced in ${storm.seconds.toFixed(1)} s, discovery ${storm.vcpu.toFixed(2)} vCPU`,
  );
  await sleep(GAP_MS);

  const changeCpu = cpuMeter([discovery.pid]);
  const simCpu = cpuMeter(fleet.pids());
  const changes = await withProgress(fleet, 'changes', () =>
    runChanges({ fleet, probe }, ns, slice),
  );
  const changePhase = changeCpu();
  const simPhase = simCpu();
  const stats = await fleet.stats();
  // The full push: a wildcard sim connecting now is sent the whole view at once.
  const whole = Fleet.start(1, [specs[SIDECARS + 1]!], { ...start, keepConfig: false });
  cleanups.push(() => whole.stop());
  await whole.awaitServices(target, 600_000);
  const wholeStats = await whole.stats();
  report({
    empty,
    full,
    catalogPhase,
    storm,
    stormPeakMb,
    peakMb: peak.peakMb(),
    changes,
    changePhase,
    simPhase,
    simStorm,
    stats,
    fullPushBytes: Math.max(...wholeStats.snapshotBytes),
  });
}

const cpuMs = (p: { vcpu: number; seconds: number }): number => p.vcpu * p.seconds * 1000;

function report(r: {
  empty: Memory;
  full: Memory;
  catalogPhase: { vcpu: number; seconds: number };
  storm: { vcpu: number; seconds: number };
  stormPeakMb: number;
  peakMb: number;
  changes: Changes;
  changePhase: { vcpu: number; seconds: number };
  simPhase: { vcpu: number; seconds: number };
  simStorm: { vcpu: number; seconds: number };
  stats: Awaited<ReturnType<Fleet['stats']>>;
  fullPushBytes: number;
}): void {
  const every = sorted(r.changes.every);
  const each = sorted(r.changes.each);
  const snapshotBytes = Math.max(...r.stats.snapshotBytes);
  const fullPushBytes = r.fullPushBytes;
  const deltaBytes = percentile(sorted(r.changes.bytes), 50);
  const result = {
    scale: {
      services: SERVICES,
      endpointsPerService: ENDPOINTS,
      sidecars: SIDECARS,
      scoped: SCOPED,
      workers: WORKERS,
    },
    loadAverage: { atStart: LOAD_AT_START, atEnd: os.loadavg().map((l) => round(l, 2)) },
    snapshotBytes,
    fullPushBytes,
    deltaBytesPerEndpointChange: deltaBytes,
    fullPushOverDelta: round(fullPushBytes / deltaBytes),
    convergenceMs: {
      changes: r.changes.every.length,
      pingDeadlineMs: PING_DEADLINE_MS,
      everySidecar: { p50: round(percentile(every, 50), 0), p99: round(percentile(every, 99), 0) },
      perSidecar: { p50: round(percentile(each, 50), 0), p99: round(percentile(each, 99), 0) },
      loneSidecar: {
        p50: round(percentile(sorted(r.changes.probe), 50), 0),
        p99: round(percentile(sorted(r.changes.probe), 99), 0),
      },
      simApplyMs: {
        p50: round(percentile(sorted(r.changes.applyMs), 50), 2),
        p99: round(percentile(sorted(r.changes.applyMs), 99), 2),
      },
    },
    discovery: {
      vcpuCatalogBuild: round(r.catalogPhase.vcpu, 2),
      vcpuConnectStorm: round(r.storm.vcpu, 2),
      connectStormSeconds: round(r.storm.seconds),
      vcpuChanges: round(r.changePhase.vcpu, 2),
      cpuSecondsPerChange: round(cpuMs(r.changePhase) / 1000 / r.changes.every.length, 3),
      rssEmptyMb: round(r.empty.discoveryRssMb),
      rssFullMb: round(r.full.discoveryRssMb),
      peakRssStormMb: round(r.stormPeakMb),
      peakRssMb: round(r.peakMb),
    },
    sims: {
      vcpuDuringChanges: round(r.simPhase.vcpu, 2),
      // CPU from /proc, so it holds under a loaded machine where wall times do not.
      cpuMsPerSimPerChange: round(cpuMs(r.simPhase) / (r.changes.every.length * SIDECARS), 2),
      cpuMsPerSimSnapshot: round(cpuMs(r.simStorm) / SIDECARS, 1),
      snapshotApplyMsP50: round(percentile(sorted(r.stats.snapshotApplyMs), 50), 1),
      nacks: r.stats.nacks.length,
    },
    memory: {
      simHeapEmptyMb: round(r.empty.simHeapMb),
      simHeapFullMb: round(r.full.simHeapMb),
      simHeapDeltaMb: round(r.full.simHeapMb - r.empty.simHeapMb),
      sidecarRssEmptyMb: round(r.empty.sidecarRssMb),
      sidecarRssFullMb: round(r.full.sidecarRssMb),
      sidecarRssDeltaMb: round(r.full.sidecarRssMb - r.empty.sidecarRssMb),
    },
  };
  printTable(
    ['figure', 'value', 'target'],
    [
      ['full push (the whole view), bytes', fullPushBytes, '–'],
      [`a ${SCOPED ? 'scoped' : 'wildcard'} sim's snapshot, bytes`, snapshotBytes, '–'],
      ['one endpoint change, bytes', deltaBytes, '–'],
      ['full push / one change', result.fullPushOverDelta, 'ratio'],
      ['convergence to every sidecar p50, ms', result.convergenceMs.everySidecar.p50, '–'],
      ['convergence to every sidecar p99, ms', result.convergenceMs.everySidecar.p99, '≤ 1000'],
      ['convergence per sidecar p99, ms', result.convergenceMs.perSidecar.p99, '–'],
      [
        'convergence, a sim alone in its process p99, ms',
        result.convergenceMs.loneSidecar.p99,
        '–',
      ],
      ['a sim applying one change p99, ms', result.convergenceMs.simApplyMs.p99, '–'],
      ['CPU per sim per change, ms', result.sims.cpuMsPerSimPerChange, '–'],
      ['discovery vCPU, connect storm', result.discovery.vcpuConnectStorm, '≤ 1'],
      ['discovery vCPU, changes', result.discovery.vcpuChanges, '≤ 1'],
      ['discovery peak RSS, MB', result.discovery.peakRssMb, '≤ 1024'],
      ['sim heap full − empty, MB', result.memory.simHeapDeltaMb, '≤ 10'],
      ['weft sidecar RSS full − empty, MB', result.memory.sidecarRssDeltaMb, '≤ 10'],
    ],
  );
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  say(`wrote ${writeJson('discovery', result)}`);
}

try {
  await main();
} catch (err) {
  say(`bench:discovery failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
