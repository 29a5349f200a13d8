// `npm run bench:sidecar` (PERF.md): the weft sidecar pair with mTLS against the
// direct path, an nginx pair and an haproxy pair doing the same mTLS, in one run,
// between the same two pods (network namespaces with weft-init's rules). Load is
// fortio at 1000 rps over 16 keep-alive connections with 1 KB answers; saturation
// is wrk with 16 connections. Reports added latency over direct, CPU-seconds per
// 1000 requests and resident memory of each proxy, then HTTP/2 through the pair.
// The weft pair is also measured with 100 AuthorizationPolicy rules on the server
// side that the request matches last, with 100 HTTPRoute rules it matches last,
// and with retries configured but never triggered (bench/sidecar-routes.ts).
// The rows are measured in rounds of short blocks, every row once a round in a
// rotated order (bench/sidecar-blocks.ts), so no row always goes first; each row
// reports its medians, and each weft variant its cost against the plain pair as
// the median of the differences within a round. WEFT_BENCH_SECONDS (default 30)
// is each row's measured time in all, WEFT_BENCH_ROUNDS (default 5) the blocks;
// WEFT_BENCH_SATURATION=0 leaves out the saturation runs.
// ROWS=direct,weft,weft-authz (bench/sidecar-rows.ts) measures only those rows.
// Needs root, fortio (go install fortio.org/fortio@v1.63.0), and Debian's nginx,
// haproxy and wrk.

import { chmodSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMesh } from '../test/support/mesh-fixture.js';
import type { MeshFixture } from '../test/support/mesh-fixture.js';
import type { Pod } from '../test/support/mesh-net.js';
import { meshLeaf } from '../test/support/mtls-attempt.js';
import {
  HAPROXY,
  NGINX,
  SERVER_NAME,
  haproxyClient,
  haproxyServer,
  nginxClient,
  nginxServer,
  startPeer,
} from './peers.js';
import type { Fortio } from './fortio.js';
import { CONNECTIONS, QPS, fortio, percentileMs, run } from './fortio.js';
import { cpuSeconds, rssMb, withChildren } from './proc-stats.js';
import type { Block, Paired, RowSummary } from './sidecar-blocks.js';
import { paired, schedule, summarize } from './sidecar-blocks.js';
import type { BenchRow } from './sidecar-rows.js';
import { chosenRows } from './sidecar-rows.js';
import { SETUP_OF, Setups } from './sidecar-setups.js';
import { fmt, printTable, writeJson } from './stats.js';

/** Seconds each row is measured, in all: split into one block per round. */
const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 30);
const ROUNDS = Math.max(1, Number(process.env.WEFT_BENCH_ROUNDS ?? 5));
const BLOCK_SECONDS = Math.max(2, SECONDS / ROUNDS);
const WARM_SECONDS = 2;
/** WEFT_BENCH_SATURATION=0 leaves out wrk's saturation runs (10 s a row). */
const SATURATION = process.env.WEFT_BENCH_SATURATION !== '0';
const progress = (msg: string): void => void process.stderr.write(`[bench:sidecar] ${msg}\n`);
const load1 = (): number => os.loadavg()[0]!;

async function saturation(pod: Pod, url: string): Promise<number> {
  const out = await run(pod, ['wrk', '-t1', `-c${CONNECTIONS}`, '-d10s', url]);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

/** One row of the table: where it sends, and which processes are its proxies. */
interface Path {
  readonly row: BenchRow;
  readonly name: string;
  readonly url: string;
  /** The proxies' pids, grouped per proxy (client side, server side); none for direct. */
  readonly pids: () => number[][];
}

interface PathResult extends RowSummary {
  row: BenchRow;
  name: string;
  saturation: number;
  rssIdleMb: number[];
  rssLoadMb: number[];
  blockList: Block[];
  loadAvg: number[];
}

const sum = (group: number[], f: (pid: number) => number): number =>
  group.reduce((s, p) => s + f(p), 0);

/** A warm-up, then one block of fortio load, with the proxies' CPU and memory around it. */
async function measureBlock(
  pod: Pod,
  p: Path,
  round: number,
): Promise<{ block: Block; rssIdleMb: number[]; rssLoadMb: number[] }> {
  await fortio(pod, p.url, WARM_SECONDS);
  const procs = p.pids();
  const rssIdleMb = procs.map((g) => sum(g, rssMb));
  const cpu0 = sum(procs.flat(), cpuSeconds);
  const rssLoadMb = [...rssIdleMb];
  const sampler = setInterval(() => {
    procs.forEach((g, i) => (rssLoadMb[i] = Math.max(rssLoadMb[i]!, sum(g, rssMb))));
  }, 500);
  const f = await fortio(pod, p.url, BLOCK_SECONDS);
  clearInterval(sampler);
  const cpu = sum(procs.flat(), cpuSeconds) - cpu0;
  const requests = f.DurationHistogram.Count;
  const pct = (x: number): number => percentileMs(f, x);
  const block: Block = {
    round,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: f.DurationHistogram.Max * 1000,
    qps: f.ActualQPS,
    requests,
    errors: requests - (f.RetCodes['200'] ?? 0),
    cpuPer1000: procs.length ? (cpu / requests) * 1000 : NaN,
  };
  return { block, rssIdleMb, rssLoadMb };
}

interface Measured {
  readonly results: PathResult[];
  readonly byRow: Partial<Record<BenchRow, PathResult>>;
  readonly loadAvg: { start: number; end: number };
  h2?: { direct: Fortio; pair: Fortio };
}

/** nginx and haproxy pairs doing the same mTLS, started only when their rows run. */
async function startPeers(
  mesh: MeshFixture,
  rows: ReadonlySet<BenchRow>,
  children: { kill(): boolean }[],
): Promise<{ nginx: { pid?: number }[]; haproxy: { pid?: number }[] }> {
  const client = mesh.client;
  const server = mesh.servers[0]!;
  const dir = path.join(mesh.dir, 'bench');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const authority = mesh.ca.ca.authority();
  const files = {
    dir,
    roots: mesh.ca.ca.roots(),
    client: await meshLeaf(authority, { uri: mesh.spiffe('client'), dns: 'client.mesh.test' }),
    server: await meshLeaf(authority, { uri: mesh.spiffe('echo'), dns: SERVER_NAME }),
  };
  const nginx = rows.has('nginx')
    ? [
        startPeer(server.pod, 'nginx', nginxServer(files), dir),
        startPeer(client.pod, 'nginx', nginxClient(files, server.pod.ip), dir),
      ]
    : [];
  const haproxy = rows.has('haproxy')
    ? [
        startPeer(server.pod, 'haproxy', haproxyServer(files), dir),
        startPeer(client.pod, 'haproxy', haproxyClient(files, server.pod.ip), dir),
      ]
    : [];
  children.push(...nginx, ...haproxy);
  if (nginx.length + haproxy.length > 0) await new Promise((r) => setTimeout(r, 1500));
  return { nginx, haproxy };
}

/** Every HTTP/1.1 row chosen, with its URL and proxies. */
async function pathsOf(
  mesh: MeshFixture,
  rows: ReadonlySet<BenchRow>,
  children: { kill(): boolean }[],
): Promise<Path[]> {
  const server = mesh.servers[0]!;
  const peers = await startPeers(mesh, rows, children);
  const sidecars = (): number[][] => [
    [mesh.client.sidecar.child.pid!],
    [server.sidecar.child.pid!],
  ];
  const group = (procs: { pid?: number }[]) => (): number[][] =>
    procs.map((p) => withChildren(p.pid!));
  const front = (port: number): string => `http://127.0.0.1:${port}/1k`;
  const all: Path[] = [
    { row: 'direct', name: 'direct', url: `http://${server.pod.ip}:8099/1k`, pids: () => [] },
    { row: 'weft', name: 'weft pair', url: 'http://echo/1k', pids: sidecars },
    {
      row: 'weft-authz',
      name: 'weft pair, 100 authz rules',
      url: 'http://echo/1k',
      pids: sidecars,
    },
    {
      row: 'weft-routes',
      name: 'weft pair, 100 route rules',
      url: 'http://echo/1k',
      pids: sidecars,
    },
    { row: 'weft-retry', name: 'weft pair, retries set', url: 'http://echo/1k', pids: sidecars },
    { row: 'nginx', name: 'nginx pair', url: front(NGINX.front), pids: group(peers.nginx) },
    { row: 'haproxy', name: 'haproxy pair', url: front(HAPROXY.front), pids: group(peers.haproxy) },
  ];
  return all.filter((p) => rows.has(p.row));
}

/**
 * The HTTP/1.1 rows in rounds of short blocks (bench/sidecar-blocks.ts), each
 * round in another order, then each row's saturation.
 */
async function measureRows(
  mesh: MeshFixture,
  rows: ReadonlySet<BenchRow>,
  children: { kill(): boolean }[],
): Promise<Measured> {
  const paths = await pathsOf(mesh, rows, children);
  const setups = new Setups(mesh);
  const use = async (p: Path): Promise<void> => {
    const setup = SETUP_OF[p.row];
    if (setup) await setups.use(setup);
  };
  const start = load1();
  const blocks = new Map<BenchRow, Block[]>(paths.map((p) => [p.row, []]));
  const rss = new Map<BenchRow, { idle: number[]; load: number[] }>();
  const loads = new Map<BenchRow, number[]>(paths.map((p) => [p.row, []]));
  for (const [round, order] of schedule(paths, ROUNDS).entries()) {
    progress(
      `round ${round + 1}/${ROUNDS}: ${order.map((p) => p.row).join(' → ')} (load ${fmt(load1())})`,
    );
    for (const p of order) {
      await use(p);
      loads.get(p.row)!.push(load1());
      const b = await measureBlock(mesh.client.pod, p, round);
      blocks.get(p.row)!.push(b.block);
      const seen = rss.get(p.row);
      if (!seen) rss.set(p.row, { idle: b.rssIdleMb, load: b.rssLoadMb });
      else seen.load = seen.load.map((v, i) => Math.max(v, b.rssLoadMb[i]!));
    }
  }
  await checkAuthz(mesh, blocks.get('weft-authz'));
  const m: Measured = { results: [], byRow: {}, loadAvg: { start, end: load1() } };
  for (const p of paths) {
    if (SATURATION) {
      await use(p);
      progress(`${p.name}: saturation (wrk, 10s)`);
    }
    const r: PathResult = {
      ...summarize(blocks.get(p.row)!),
      row: p.row,
      name: p.name,
      saturation: SATURATION ? await saturation(mesh.client.pod, p.url) : NaN,
      rssIdleMb: rss.get(p.row)!.idle,
      rssLoadMb: rss.get(p.row)!.load,
      blockList: blocks.get(p.row)!,
      loadAvg: loads.get(p.row)!,
    };
    m.results.push(r);
    m.byRow[p.row] = r;
  }
  if (rows.has('h2')) {
    await setups.use('none');
    progress('HTTP/2 (h2c from the app, h2 between sidecars)');
    const h2 = ['-h2', '-stdclient'];
    m.h2 = {
      direct: await fortio(mesh.client.pod, `http://${mesh.servers[0]!.pod.ip}:9099/`, 10, h2),
      pair: await fortio(mesh.client.pod, 'http://echo:9090/', 10, h2),
    };
  }
  return m;
}

/** The authorization blocks ran with the policies in force: each of their requests was decided. */
async function checkAuthz(mesh: MeshFixture, blocks: Block[] | undefined): Promise<void> {
  if (!blocks) return;
  const requests = blocks.reduce((s, b) => s + b.requests, 0);
  const decided = await mesh.metric(mesh.servers[0]!, 'weft_authz_decisions_total', 'bench-allow');
  if (decided < requests) throw new Error(`the policies were not in force (${decided} decisions)`);
}

function printHttp1(m: Measured): void {
  const direct = m.byRow.direct!;
  const rows = m.results.map((r) => [
    r.name,
    r.p50,
    r.p90,
    r.p99,
    r.max,
    r === direct
      ? '–'
      : `+${fmt(r.p50 - direct.p50)} / +${fmt(r.p90 - direct.p90)} / +${fmt(r.p99 - direct.p99)}`,
    r.saturation,
    r.cpuPer1000,
    r.rssIdleMb.length ? r.rssIdleMb.map(fmt).join(' + ') : '–',
    r.rssLoadMb.length ? r.rssLoadMb.map(fmt).join(' + ') : '–',
    `${fmt(r.qps)} / ${r.errors}`,
  ]);
  process.stdout.write(
    `\nHTTP/1.1, ${QPS} rps, ${CONNECTIONS} connections, 1 KB; each row ${ROUNDS} blocks of ` +
      `${fmt(BLOCK_SECONDS)}s in rotated order, medians (ms); load average ${fmt(m.loadAvg.start)} → ${fmt(m.loadAvg.end)}\n`,
  );
  printTable(
    [
      'path',
      'p50',
      'p90',
      'p99',
      'max',
      'added p50/p90/p99',
      'saturation rps',
      'CPU-s/1000 req',
      'RSS idle MB (client + server)',
      'RSS load MB',
      'rps / errors',
    ],
    rows,
  );
}

/** Requests not answered 200, with the codes they got instead (fortio: -1 is a transport error). */
function errorsOf(f: Fortio): string {
  const errors = f.DurationHistogram.Count - (f.RetCodes['200'] ?? 0);
  const codes = Object.entries(f.RetCodes).filter(([code]) => code !== '200');
  return codes.length
    ? `${errors} (${codes.map(([c, n]) => `${c}×${n}`).join(', ')})`
    : `${errors}`;
}

function printHttp2(h2: { direct: Fortio; pair: Fortio }): void {
  const h2pct = percentileMs;
  process.stdout.write('\nHTTP/2, 1000 rps, 16 connections, 10s (ms)\n');
  printTable(
    ['path', 'p50', 'p90', 'p99', 'errors'],
    [h2.direct, h2.pair].map((f, i) => [
      i === 0 ? 'direct h2c' : 'weft pair (h2)',
      h2pct(f, 50),
      h2pct(f, 90),
      h2pct(f, 99),
      errorsOf(f),
    ]),
  );
}

/** The targets the measured rows can judge (a target whose rows did not run is left out). */
function verdicts(m: Measured): {
  list: (readonly [string, boolean])[];
  against: Record<string, Paired>;
} {
  const { direct, weft, nginx: ng } = m.byRow;
  const list: (readonly [string, boolean])[] = [];
  if (weft && ng && direct) {
    list.push([`added p99 ≤ nginx pair's`, weft.p99 - direct.p99 <= ng.p99 - direct.p99]);
    list.push([`saturation ≥ half the nginx pair's`, weft.saturation >= ng.saturation / 2]);
  }
  if (!weft) return { list, against: {} };
  list.push(['≤ 0.2 CPU-s per 1000 requests (both sidecars)', weft.cpuPer1000 <= 0.2]);
  list.push(['≤ 60 MB resident per sidecar under load', Math.max(...weft.rssLoadMb) <= 60]);
  const variants = [
    ['weft-authz', '100 authz rules (the last matches)'],
    ['weft-routes', '100 route rules (the last matches)'],
    ['weft-retry', 'retries set, not triggered'],
  ] as const;
  const out: Record<string, Paired> = {};
  for (const [row, what] of variants) {
    const r = m.byRow[row];
    if (r) out[row] = against(weft, r, what, list);
  }
  return { list, against: out };
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${fmt(n)}`;

/** A weft variant against the plain pair, round by round: the issues' targets, printed and judged. */
function against(
  weft: PathResult,
  row: PathResult,
  what: string,
  list: (readonly [string, boolean])[],
): Paired {
  const d = paired(row.blockList, weft.blockList);
  const rounds = d.rounds.map((r) => `${signed(r.cpu * 100)} %/${signed(r.p99)} ms`).join(', ');
  process.stdout.write(
    `\n${what} vs none, same rounds (median of ${d.rounds.length}): ` +
      `CPU per request ${signed(d.addedCpuFraction * 100)} %, p99 ${signed(d.addedP99Ms)} ms, ` +
      `p50 ${signed(d.addedP50Ms)} ms\n  per round (CPU/p99): ${rounds}\n`,
  );
  list.push([`${what}: ≤ 5 % added CPU per request`, d.addedCpuFraction <= 0.05]);
  list.push([`${what}: ≤ 0.1 ms added p99`, d.addedP99Ms <= 0.1]);
  return d;
}

async function main(): Promise<void> {
  const rows = chosenRows(process.env.ROWS);
  progress(`rows: ${[...rows].join(', ')}`);
  progress('starting control plane, CA, two pods and their sidecars');
  const mesh = await startMesh({ servers: 1 });
  const children: { kill(): boolean }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of children.splice(0)) c.kill();
    await mesh.stop();
  };
  // Ctrl-C mid-run must not leave pods, bridges, nginx or haproxy behind.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      progress(`${sig}: stopping the peers and the mesh`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    const m = await measureRows(mesh, rows, children);
    printHttp1(m);
    if (m.h2) printHttp2(m.h2);
    const v = verdicts(m);
    process.stdout.write('\nTargets\n');
    for (const [what, met] of v.list)
      process.stdout.write(`  ${met ? 'met    ' : 'NOT met'}  ${what}\n`);
    const file = writeJson('sidecar', {
      seconds: SECONDS,
      rounds: ROUNDS,
      blockSeconds: BLOCK_SECONDS,
      qps: QPS,
      connections: CONNECTIONS,
      loadAvg: m.loadAvg,
      rows: [...rows],
      http1: m.results,
      againstWeft: v.against,
      ...(m.h2
        ? {
            http2: {
              direct: m.h2.direct.DurationHistogram,
              pair: m.h2.pair.DurationHistogram,
              retCodes: { direct: m.h2.direct.RetCodes, pair: m.h2.pair.RetCodes },
            },
          }
        : {}),
      targets: Object.fromEntries(v.list),
    });
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    await stopAll();
  }
}

if (process.getuid?.() !== 0) {
  process.stderr.write('bench:sidecar needs root (network namespaces, iptables)\n');
  process.exit(2);
}
main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
