// `npm run bench:profile` (issue 15): where each sidecar's CPU goes per request.
// The weft mTLS pair of bench:sidecar (same pods, same fortio load: 1000 rps, 16
// connections, 1 KB answers), each sidecar run under `node --cpu-prof`; the
// profiles are cut to the load windows (V8 and process.hrtime share the monotonic
// clock) and attributed by stage (bench/profile-stages.ts), scaled by the CPU each
// sidecar's threads spent in the window according to /proc. With
// WEFT_PROFILE_AUTHZ=1 a second window follows in the same processes with the 100
// AuthorizationPolicy rules of the weft-authz row, so the two compare in one run.
// WEFT_PROFILE_ROUTES=1 adds two windows on the client sidecar: with the
// weft-routes row's 100 route rules, then with the weft-retry row's retries (with
// WEFT_PROFILE_AUTHZ=1 too, the server keeps its rules then: those columns are the client's).
// Prints markdown (bench/PROFILE.md holds a run) and writes bench-results/profile.json.
// Needs root and fortio, like bench:sidecar; run it under flock /tmp/weft-integration.lock.
import { chmodSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMesh } from '../test/support/mesh-fixture.js';
import type { MeshConfigInput } from '../test/support/mesh-fixture.js';
import { benchPolicies } from './bench-policies.js';
import { Setups } from './sidecar-setups.js';
import { CONNECTIONS, QPS, fortio, percentileMs } from './fortio.js';
import { cpuSeconds, threadCpuSeconds } from './proc-stats.js';
import type { CpuProfile, Measured } from './profile-stages.js';
import { STAGES, perRequest, samplesByStage, topFunctions } from './profile-stages.js';
import type { Stage } from './profile-stages.js';
import { fmt, printTable, writeJson } from './stats.js';

const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 20);
const WITH_AUTHZ = process.env.WEFT_PROFILE_AUTHZ === '1';
const WITH_ROUTES = process.env.WEFT_PROFILE_ROUTES === '1';
// WEFT_PROFILE_H2=1: the HTTP/2 path of bench:sidecar's h2 row (h2c from the app,
// h2 between the sidecars) instead of HTTP/1.1.
const H2 = process.env.WEFT_PROFILE_H2 === '1';
const TARGET = H2 ? 'http://echo:9090/' : 'http://echo/1k';
const LOAD_ARGS = H2 ? ['-h2', '-stdclient'] : [];
const INTERVAL_US = 500;
const progress = (msg: string): void => void process.stderr.write(`[bench:profile] ${msg}\n`);
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const load1 = (): number => os.loadavg()[0]!;

type Mesh = Awaited<ReturnType<typeof startMesh>>;

interface Window {
  readonly name: string;
  readonly fromUs: number;
  readonly toUs: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly load: readonly [number, number];
  /** Per sidecar pid: main-thread and all-thread CPU in the window, µs. */
  readonly cpu: ReadonlyMap<number, { main: number; all: number }>;
}

async function measureWindow(mesh: Mesh, name: string, pids: number[]): Promise<Window> {
  const snap = (): Map<number, { main: number; all: number }> =>
    new Map(pids.map((p) => [p, { main: threadCpuSeconds(p, p), all: cpuSeconds(p) }]));
  progress(`${name}: warm-up`);
  await fortio(mesh.client.pod, TARGET, 3, LOAD_ARGS);
  progress(`${name}: ${SECONDS}s at ${QPS} rps, ${CONNECTIONS} connections`);
  const l0 = load1();
  const c0 = snap();
  const fromUs = nowUs();
  const f = await fortio(mesh.client.pod, TARGET, SECONDS, LOAD_ARGS);
  const toUs = nowUs();
  const c1 = snap();
  const cpu = new Map(
    pids.map((p) => [
      p,
      {
        main: (c1.get(p)!.main - c0.get(p)!.main) * 1e6,
        all: (c1.get(p)!.all - c0.get(p)!.all) * 1e6,
      },
    ]),
  );
  const requests = f.DurationHistogram.Count;
  return {
    name,
    fromUs,
    toUs,
    requests,
    errors: requests - (f.RetCodes['200'] ?? 0),
    p50: percentileMs(f, 50),
    p99: percentileMs(f, 99),
    load: [l0, load1()],
    cpu,
  };
}

async function withPolicies(mesh: Mesh, pids: number[]): Promise<Window> {
  mesh.writeConfig((c) => {
    (c as MeshConfigInput & { authorization?: unknown[] }).authorization = benchPolicies(
      mesh.namespace,
    );
  });
  await new Promise((r) => setTimeout(r, 3000)); // the sidecars poll the file each second
  const w = await measureWindow(mesh, '100 authz rules', pids);
  const decided = await mesh.metric(mesh.servers[0]!, 'weft_authz_decisions_total', 'bench-allow');
  if (decided < w.requests) throw new Error(`the policies were not in force (${decided})`);
  return w;
}

function readProfile(dir: string, pid: number): CpuProfile {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile for pid ${pid} in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
}

interface Column {
  readonly label: string;
  readonly profile: CpuProfile;
  readonly window: Window;
  readonly pid: number;
}

function measured(c: Column): Measured {
  const cpu = c.window.cpu.get(c.pid)!;
  return {
    samples: samplesByStage(c.profile, c.window.fromUs, c.window.toUs),
    mainCpuUs: cpu.main,
    otherThreadsCpuUs: cpu.all - cpu.main,
    requests: c.window.requests,
  };
}

function printStages(columns: readonly Column[]): object {
  const rows = columns.map((c) => perRequest(measured(c)));
  const totals = rows.map((r) => Object.values(r).reduce((s, v) => s + v, 0));
  const stages = [...(Object.keys(STAGES) as Stage[]), 'threads' as const];
  const label = (s: Stage | 'threads'): string =>
    s === 'threads' ? 'other threads (V8 GC/compiler helpers, libuv pool)' : STAGES[s];
  process.stdout.write('\nCPU per request by stage: µs (share of that sidecar)\n');
  printTable(
    ['stage', ...columns.map((c) => c.label)],
    [
      ...stages.map((s) => [
        label(s),
        ...rows.map((r, i) => `${fmt(r[s])} (${fmt((100 * r[s]) / totals[i]!)} %)`),
      ]),
      ['total (from /proc)', ...totals.map((t) => fmt(t))],
    ],
  );
  return Object.fromEntries(columns.map((c, i) => [c.label, rows[i]]));
}

function printTop(c: Column): void {
  const top = topFunctions(c.profile, c.window.fromUs, c.window.toUs, 15);
  const busy = Object.entries(samplesByStage(c.profile, c.window.fromUs, c.window.toUs))
    .filter(([s]) => s !== 'idle')
    .reduce((s, [, n]) => s + n, 0);
  process.stdout.write(`\nTop self time, ${c.label} (${busy} busy samples)\n`);
  printTable(
    ['function (innermost frame)', 'share of busy samples'],
    top.map((t) => [t.frame, `${fmt((100 * t.samples) / busy)} %`]),
  );
}

function printWindows(windows: readonly Window[]): void {
  const what = H2 ? 'HTTP/2, h2c from the app' : '1 KB';
  process.stdout.write(
    `\nLoad windows (fortio ${QPS} rps × ${CONNECTIONS} connections, ${what})\n`,
  );
  printTable(
    ['window', 'seconds', 'requests', 'errors', 'p50 ms', 'p99 ms', 'load avg (1 min) start → end'],
    windows.map((w) => [
      w.name,
      (w.toUs - w.fromUs) / 1e6,
      w.requests,
      w.errors,
      w.p50,
      w.p99,
      `${fmt(w.load[0])} → ${fmt(w.load[1])}`,
    ]),
  );
}

async function profileRun(dir: string): Promise<void> {
  const mesh = await startMesh({ servers: 1 });
  const client = mesh.client.sidecar.child.pid!;
  const server = mesh.servers[0]!.sidecar.child.pid!;
  let plain: Window | undefined;
  /** The windows after the first, each with the sidecar it profiles: a column each. */
  const more: { window: Window; label: string; side: 'client' | 'server' }[] = [];
  try {
    plain = await measureWindow(mesh, 'no policy', [client, server]);
    if (WITH_AUTHZ) {
      const window = await withPolicies(mesh, [client, server]);
      more.push({ window, label: `server, ${window.name}`, side: 'server' });
    }
    if (WITH_ROUTES) {
      const setups = new Setups(mesh);
      for (const [setup, name] of [
        ['routes', '100 route rules'],
        ['retry', 'retries set'],
      ] as const) {
        await setups.use(setup);
        const window = await measureWindow(mesh, name, [client, server]);
        more.push({ window, label: `client, ${name}`, side: 'client' });
      }
    }
  } finally {
    // The sidecars write their profiles as they exit.
    await mesh.stop();
  }
  const windows = [plain, ...more.map((m) => m.window)];
  const base = {
    client: {
      label: 'client (outbound)',
      profile: readProfile(dir, client),
      window: plain,
      pid: client,
    },
    server: {
      label: 'server (inbound)',
      profile: readProfile(dir, server),
      window: plain,
      pid: server,
    },
  };
  const cols: Column[] = [
    base.client,
    base.server,
    ...more.map((m) => ({ ...base[m.side], label: m.label, window: m.window })),
  ];
  printWindows(windows);
  const stages = printStages(cols);
  for (const c of cols) printTop(c);
  const file = writeJson('profile', {
    seconds: SECONDS,
    intervalUs: INTERVAL_US,
    windows: windows.map((w) => ({ ...w, cpu: Object.fromEntries(w.cpu) })),
    stages,
  });
  process.stdout.write(`\nwrote ${file}; profiles in ${dir}\n`);
}

if (process.getuid?.() !== 0) {
  process.stderr.write('bench:profile needs root (network namespaces, iptables)\n');
  process.exit(2);
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cpuprofile-'));
chmodSync(dir, 0o777); // the sidecars run as UID 1337
process.env.WEFT_SIDECAR_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=${INTERVAL_US}`;
profileRun(dir).catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
