// `npm run bench:variants` (issue 15): sidecar variants against each other in one
// run. One mesh (the pods and load of bench:sidecar: fortio 1000 rps over 16
// keep-alive connections, 1 KB answers); for each variant (bench/variants.ts: a
// build and its NODE_OPTIONS) both sidecars restart, then each path is loaded and
// measured: latency, CPU-seconds per 1000 requests (both sidecars), resident
// memory of each at start (ready, no request yet) and at its peak under load, and
// the V8 heap (used / total) and external memory from the sidecar's own metrics
// after the load. Variants alternate round by round (A B A B), so the machine's
// drift lands on each alike: on a shared machine compare within one run.
//   WEFT_VARIANTS='[{"name":"main","bin":"/tmp/base/dist/cli/weft.js"},{"name":"branch"}]'
//   (a variant may also set nodeOptions, or nodeArgs for V8 flags NODE_OPTIONS refuses)
//   WEFT_ROUNDS (2), WEFT_BENCH_SECONDS (15), WEFT_PATHS (h1; h1,h2), WEFT_DIRECT=1 (the
//   direct paths once per round, for reference), WEFT_QPS (1000), WEFT_SYSCALLS=1
//   (syscalls per request of each sidecar, counted by strace in a separate 5 s window)
// Needs root and fortio, like bench:sidecar; run it under flock /tmp/weft-integration.lock.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { startMesh } from '../test/support/mesh-fixture.js';
import type { MeshFixture, MeshPod } from '../test/support/mesh-fixture.js';
import type { Fortio } from './fortio.js';
import { CONNECTIONS, QPS, fortio, percentileMs } from './fortio.js';
import { cpuSeconds, rssMb } from './proc-stats.js';
import { fmt, printTable, writeJson } from './stats.js';
import type { Variant } from './variants.js';
import { median, parseStraceSummary, parseVariants, schedule } from './variants.js';

const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.WEFT_ROUNDS ?? 2);
const PATHS = (process.env.WEFT_PATHS ?? 'h1').split(',').map((s) => s.trim());
const DIRECT = process.env.WEFT_DIRECT === '1';
/** WEFT_QPS: another rate than bench:sidecar's (is a tail load-bound or a timer?). */
const RATE = Number(process.env.WEFT_QPS ?? QPS);
/** WEFT_SYSCALLS=1: after each load, 5 s more under strace -c: syscalls per request. */
const SYSCALLS = process.env.WEFT_SYSCALLS === '1';
const progress = (msg: string): void => void process.stderr.write(`[bench:variants] ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const loadArgs = (path: string): string[] => [
  ...(path === 'h2' ? ['-h2', '-stdclient'] : []),
  // fortio takes the last -qps it is given.
  ...(RATE === QPS ? [] : ['-qps', String(RATE)]),
];
const url = (path: string, server: MeshPod, direct: boolean): string => {
  if (path === 'h2') return direct ? `http://${server.pod.ip}:9099/` : 'http://echo:9090/';
  return direct ? `http://${server.pod.ip}:8099/1k` : 'http://echo/1k';
};

interface Row {
  readonly variant: string;
  readonly round: number;
  readonly path: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly errors: number;
  readonly cpuPer1000: number;
  /** Client and server sidecar, MB. */
  readonly rssStart: readonly number[];
  readonly rssPeak: readonly number[];
  readonly heapUsed: readonly number[];
  readonly heapTotal: readonly number[];
  readonly external: readonly number[];
  /** Client and server sidecar: syscall → calls per request (WEFT_SYSCALLS=1). */
  readonly syscalls?: readonly Record<string, number>[];
}

/** Every thread of `pid` under strace -c until stopped; resolves with the summary. */
function strace(pid: number): { stop: () => Promise<Record<string, number>> } {
  const tids = readdirSync(`/proc/${pid}/task`).flatMap((t) => ['-p', t]);
  const child = spawn('strace', ['-c', '-f', ...tids], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<Record<string, number>>((resolve) =>
    child.on('exit', () => resolve(parseStraceSummary(err))),
  );
  return {
    stop: () => {
      child.kill('SIGINT');
      return done;
    },
  };
}

async function syscallsPerRequest(
  mesh: MeshFixture,
  pids: readonly number[],
  target: string,
  path: string,
): Promise<Record<string, number>[]> {
  const traced = pids.map(strace);
  await sleep(500); // attached
  const f = await fortio(mesh.client.pod, target, 5, loadArgs(path));
  const counts = await Promise.all(traced.map((t) => t.stop()));
  const n = f.DurationHistogram.Count;
  return counts.map((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / n])));
}

async function restart(mesh: MeshFixture, v: Variant): Promise<void> {
  const set = (name: string, value: string | undefined): void => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  set('WEFT_SIDECAR_BIN', v.bin);
  set('WEFT_SIDECAR_NODE_OPTIONS', v.nodeOptions);
  set('WEFT_SIDECAR_NODE_ARGS', v.nodeArgs);
  await Promise.all([mesh.client, mesh.servers[0]!].map((p) => p.restartSidecar()));
}

async function load(mesh: MeshFixture, target: string, path: string): Promise<Fortio> {
  return fortio(mesh.client.pod, target, SECONDS, loadArgs(path));
}

const mb = (bytes: number): number => bytes / 2 ** 20;

async function measure(mesh: MeshFixture, v: Variant, round: number, path: string): Promise<Row> {
  const pods = [mesh.client, mesh.servers[0]!];
  const pids = pods.map((p) => p.sidecar.child.pid!);
  const rssStart = pids.map(rssMb);
  const target = url(path, mesh.servers[0]!, false);
  await fortio(mesh.client.pod, target, 3, loadArgs(path));
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const rssPeak = pids.map(rssMb);
  const sampler = setInterval(() => {
    pids.forEach((p, i) => (rssPeak[i] = Math.max(rssPeak[i]!, rssMb(p))));
  }, 250);
  progress(`${v.name}, round ${round + 1}: ${path} ${SECONDS}s at ${RATE} rps`);
  const f = await load(mesh, target, path).finally(() => clearInterval(sampler));
  const cpu = pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  const metric = (name: string): Promise<number[]> =>
    Promise.all(pods.map(async (p) => mb(await mesh.metric(p, name))));
  const requests = f.DurationHistogram.Count;
  return {
    variant: v.name,
    round,
    path,
    p50: percentileMs(f, 50),
    p90: percentileMs(f, 90),
    p99: percentileMs(f, 99),
    errors: requests - (f.RetCodes['200'] ?? 0),
    cpuPer1000: (cpu / requests) * 1000,
    rssStart,
    rssPeak,
    heapUsed: await metric('nodejs_heap_size_used_bytes'),
    heapTotal: await metric('nodejs_heap_size_total_bytes'),
    external: await metric('nodejs_external_memory_bytes'),
    ...(SYSCALLS ? { syscalls: await syscallsPerRequest(mesh, pids, target, path) } : {}),
  };
}

async function direct(mesh: MeshFixture, round: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const path of PATHS) {
    const f = await load(mesh, url(path, mesh.servers[0]!, true), path);
    rows.push({
      variant: 'direct',
      round,
      path,
      p50: percentileMs(f, 50),
      p90: percentileMs(f, 90),
      p99: percentileMs(f, 99),
      errors: f.DurationHistogram.Count - (f.RetCodes['200'] ?? 0),
      cpuPer1000: NaN,
      ...{ rssStart: [], rssPeak: [], heapUsed: [], heapTotal: [], external: [] },
    });
  }
  return rows;
}

const pair = (xs: readonly number[]): string => (xs.length ? xs.map(fmt).join(' / ') : '–');

function print(rows: readonly Row[], variants: readonly string[]): void {
  process.stdout.write(
    `\nEach run: ${SECONDS}s at ${RATE} rps over ${CONNECTIONS} connections (memory in MB, client / server)\n`,
  );
  printTable(
    ['variant', 'round', 'path', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'CPU-s/1000 req'].concat([
      'RSS start',
      'RSS peak',
      'heap used',
      'heap total',
      'external',
    ]),
    rows.map((r) => [
      r.variant,
      r.round + 1,
      r.path,
      r.p50,
      r.p90,
      r.p99,
      r.errors,
      r.cpuPer1000,
      pair(r.rssStart),
      pair(r.rssPeak),
      pair(r.heapUsed),
      pair(r.heapTotal),
      pair(r.external),
    ]),
  );
  const traced = rows.filter((r) => r.syscalls);
  if (traced.length) {
    process.stdout.write('\nSyscalls per request (strace -c, 5 s), client / server sidecar\n');
    const names = [...new Set(traced.flatMap((r) => r.syscalls!.flatMap((c) => Object.keys(c))))]
      .filter((n) => traced.some((r) => r.syscalls!.some((c) => (c[n] ?? 0) >= 0.05)))
      .sort();
    printTable(
      ['variant', 'round', 'path', ...names],
      traced.map((r) => [
        r.variant,
        r.round + 1,
        r.path,
        ...names.map((n) => pair(r.syscalls!.map((c) => c[n] ?? 0))),
      ]),
    );
  }
  process.stdout.write('\nMedians over the rounds\n');
  const med = (rs: Row[], f: (r: Row) => number): number => median(rs.map(f));
  printTable(
    ['variant', 'path', 'p50 ms', 'p99 ms', 'CPU-s/1000 req', 'RSS start', 'RSS peak'],
    ['direct', ...variants].flatMap((name) =>
      PATHS.map((path) => {
        const rs = rows.filter((r) => r.variant === name && r.path === path);
        const side = (f: (r: Row) => readonly number[]): string =>
          rs.length && f(rs[0]!).length ? pair([0, 1].map((i) => med(rs, (r) => f(r)[i]!))) : '–';
        return [
          name,
          path,
          med(rs, (r) => r.p50),
          med(rs, (r) => r.p99),
          med(rs, (r) => r.cpuPer1000),
          side((r) => r.rssStart),
          side((r) => r.rssPeak),
        ];
      }),
    ),
  );
}

async function main(): Promise<void> {
  const variants = parseVariants(process.env.WEFT_VARIANTS);
  progress(
    `variants: ${variants.map((v) => v.name).join(', ')}; ${ROUNDS} rounds; ${PATHS.join(',')}`,
  );
  const mesh = await startMesh({ servers: 1 });
  const rows: Row[] = [];
  try {
    let last = -1;
    for (const { round, v } of schedule(variants, ROUNDS)) {
      if (DIRECT && round !== last) rows.push(...(await direct(mesh, round)));
      last = round;
      await restart(mesh, v);
      await sleep(2000);
      for (const path of PATHS) rows.push(await measure(mesh, v, round, path));
    }
  } finally {
    await mesh.stop();
  }
  print(
    rows,
    variants.map((v) => v.name),
  );
  const file = writeJson('variants', { seconds: SECONDS, qps: RATE, variants, rows });
  process.stdout.write(`\nwrote ${file}\n`);
}

if (process.getuid?.() !== 0) {
  process.stderr.write('bench:variants needs root (network namespaces, iptables)\n');
  process.exit(2);
}
main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
