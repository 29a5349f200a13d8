// `npm run bench:sidecar` (PERF.md): the weft sidecar pair with mTLS against the
// direct path, an nginx pair and an haproxy pair doing the same mTLS, in one run,
// between the same two pods (network namespaces with weft-init's rules). Load is
// fortio at 1000 rps over 16 keep-alive connections with 1 KB answers; saturation
// is wrk with 16 connections. Reports added latency over direct, CPU-seconds per
// 1000 requests and resident memory of each proxy, then HTTP/2 through the pair.
// The weft pair runs twice back to back: without policy, then with 100
// AuthorizationPolicy rules on the server side that the request matches last.
// Then with routes on echo: 100 HTTPRoute rules the request matches last, and retries
// configured but never triggered (bench/sidecar-routes.ts).
// ROWS=direct,weft,weft-authz (bench/sidecar-rows.ts) measures only those rows.
// Needs root, fortio (go install fortio.org/fortio@v1.63.0), and Debian's nginx,
// haproxy and wrk.

import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startMesh } from '../test/support/mesh-fixture.js';
import type { MeshConfigInput } from '../test/support/mesh-fixture.js';
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
import { benchPolicies } from './bench-policies.js';
import type { Fortio } from './fortio.js';
import { CONNECTIONS, QPS, fortio, percentileMs, run } from './fortio.js';
import { cpuSeconds, rssMb, withChildren } from './proc-stats.js';
import { benchRetryRules, benchRouteRules, benchRoutes } from './sidecar-routes.js';
import type { BenchRow } from './sidecar-rows.js';
import { chosenRows } from './sidecar-rows.js';
import { fmt, printTable, writeJson } from './stats.js';

const SECONDS = Number(process.env.WEFT_BENCH_SECONDS ?? 30);
const progress = (msg: string): void => void process.stderr.write(`[bench:sidecar] ${msg}\n`);

async function saturation(pod: Pod, url: string): Promise<number> {
  const out = await run(pod, ['wrk', '-t1', `-c${CONNECTIONS}`, '-d10s', url]);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
}

interface PathResult {
  name: string;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  qps: number;
  errors: number;
  saturation: number;
  cpuPer1000: number;
  rssIdleMb: number[];
  rssLoadMb: number[];
}

async function measurePath(
  pod: Pod,
  name: string,
  url: string,
  pids: () => number[][],
): Promise<PathResult> {
  progress(`${name}: warm-up`);
  await fortio(pod, url, 3);
  const procs = pids();
  const rssIdleMb = procs.map((group) => group.reduce((s, p) => s + rssMb(p), 0));
  const cpu0 = procs.flat().reduce((s, p) => s + cpuSeconds(p), 0);
  const rssLoadMb = rssIdleMb.map(() => 0);
  const sampler = setInterval(() => {
    procs.forEach((group, i) => {
      rssLoadMb[i] = Math.max(
        rssLoadMb[i]!,
        group.reduce((s, p) => s + rssMb(p), 0),
      );
    });
  }, 500);
  progress(`${name}: ${SECONDS}s at ${QPS} rps, ${CONNECTIONS} connections`);
  const f = await fortio(pod, url, SECONDS);
  clearInterval(sampler);
  const cpu = procs.flat().reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  progress(`${name}: saturation (wrk, 10s)`);
  const sat = await saturation(pod, url);
  const pct = (p: number): number => percentileMs(f, p);
  const requests = f.DurationHistogram.Count;
  return {
    name,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: f.DurationHistogram.Max * 1000,
    qps: f.ActualQPS,
    errors: requests - (f.RetCodes['200'] ?? 0),
    saturation: sat,
    cpuPer1000: procs.length ? (cpu / requests) * 1000 : NaN,
    rssIdleMb,
    rssLoadMb,
  };
}

interface Measured {
  readonly results: PathResult[];
  readonly byRow: Partial<Record<BenchRow, PathResult>>;
  h2?: { direct: Fortio; pair: Fortio };
}

/** The weft pair with 100 rules on the server side, compared with the pair without (same run). */
async function measureAuthz(
  mesh: Awaited<ReturnType<typeof startMesh>>,
  sidecars: () => number[][],
  noPolicy: PathResult,
): Promise<PathResult> {
  const client = mesh.client;
  const server = mesh.servers[0]!;
  progress('100 authorization rules on the server side (the sidecars poll the mesh file)');
  mesh.writeConfig((c) => {
    (c as MeshConfigInput & { authorization?: unknown[] }).authorization = benchPolicies(
      mesh.namespace,
    );
  });
  await new Promise((r) => setTimeout(r, 3000));
  const authz = await measurePath(
    client.pod,
    'weft pair, 100 authz rules',
    'http://echo/1k',
    sidecars,
  );
  const decided = await mesh.metric(server, 'weft_authz_decisions_total', 'bench-allow');
  if (decided < authz.qps) throw new Error(`the policies were not in force (${decided} decisions)`);
  progress(
    `authz vs none: CPU-s/1000 req ${fmt(authz.cpuPer1000)} vs ${fmt(noPolicy.cpuPer1000)}, ` +
      `p50/p99 ${fmt(authz.p50)}/${fmt(authz.p99)} vs ${fmt(noPolicy.p50)}/${fmt(noPolicy.p99)} ms, ` +
      `saturation ${fmt(authz.saturation)} vs ${fmt(noPolicy.saturation)} rps, ${decided} decisions`,
  );
  mesh.writeConfig(() => undefined);
  await new Promise((r) => setTimeout(r, 3000));
  return authz;
}

/** The weft pair with an HTTPRoute on echo (bench/sidecar-routes.ts), against the pair without. */
async function measureRoutes(
  mesh: Awaited<ReturnType<typeof startMesh>>,
  sidecars: () => number[][],
  name: string,
  rules: unknown[],
): Promise<PathResult> {
  progress(`${name} (the sidecars poll the mesh file)`);
  mesh.writeConfig((c) => {
    (c as MeshConfigInput & { routes?: unknown[] }).routes = benchRoutes(mesh.namespace, rules);
  });
  const probe = async (): Promise<number | undefined> =>
    (await mesh.call<{ results: { status: number }[] }>('req', 'http://echo/bench-probe', 1))
      .results[0]?.status;
  for (let i = 0; i < 20 && (await probe()) !== 307; i++)
    await new Promise((r) => setTimeout(r, 500));
  if ((await probe()) !== 307) throw new Error(`${name}: the routes were not in force`);
  const r = await measurePath(mesh.client.pod, name, 'http://echo/1k', sidecars);
  mesh.writeConfig(() => undefined);
  await new Promise((r) => setTimeout(r, 3000));
  return r;
}

/** nginx and haproxy pairs doing the same mTLS, started only when their rows run. */
async function startPeers(
  mesh: Awaited<ReturnType<typeof startMesh>>,
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

async function measureRows(
  mesh: Awaited<ReturnType<typeof startMesh>>,
  rows: ReadonlySet<BenchRow>,
  children: { kill(): boolean }[],
): Promise<Measured> {
  const client = mesh.client;
  const server = mesh.servers[0]!;
  const peers = await startPeers(mesh, rows, children);
  const sidecars = (): number[][] => [[client.sidecar.child.pid!], [server.sidecar.child.pid!]];
  const group = (procs: { pid?: number }[]) => (): number[][] =>
    procs.map((p) => withChildren(p.pid!));
  const m: Measured = { results: [], byRow: {} };
  const add = (row: BenchRow, r: PathResult): void => {
    m.results.push(r);
    m.byRow[row] = r;
  };
  add(
    'direct',
    await measurePath(client.pod, 'direct', `http://${server.pod.ip}:8099/1k`, () => []),
  );
  if (rows.has('weft'))
    add('weft', await measurePath(client.pod, 'weft pair', 'http://echo/1k', sidecars));
  if (rows.has('weft-authz')) add('weft-authz', await measureAuthz(mesh, sidecars, m.byRow.weft!));
  if (rows.has('weft-routes'))
    add(
      'weft-routes',
      await measureRoutes(mesh, sidecars, 'weft pair, 100 route rules', benchRouteRules()),
    );
  if (rows.has('weft-retry'))
    add(
      'weft-retry',
      await measureRoutes(mesh, sidecars, 'weft pair, retries set', benchRetryRules()),
    );
  const front = (port: number): string => `http://127.0.0.1:${port}/1k`;
  if (rows.has('nginx'))
    add(
      'nginx',
      await measurePath(client.pod, 'nginx pair', front(NGINX.front), group(peers.nginx)),
    );
  if (rows.has('haproxy')) {
    const haproxy = group(peers.haproxy);
    add('haproxy', await measurePath(client.pod, 'haproxy pair', front(HAPROXY.front), haproxy));
  }
  if (rows.has('h2')) {
    progress('HTTP/2 (h2c from the app, h2 between sidecars)');
    const h2 = ['-h2', '-stdclient'];
    m.h2 = {
      direct: await fortio(client.pod, `http://${server.pod.ip}:9099/`, 10, h2),
      pair: await fortio(client.pod, 'http://echo:9090/', 10, h2),
    };
  }
  return m;
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
    `\nHTTP/1.1, ${QPS} rps, ${CONNECTIONS} connections, 1 KB, ${SECONDS}s (ms)\n`,
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
      f.DurationHistogram.Count - (f.RetCodes['200'] ?? 0),
    ]),
  );
}

/** The targets the measured rows can judge (a target whose rows did not run is left out). */
function verdicts(m: Measured): {
  list: (readonly [string, boolean])[];
  authz?: object;
  routing?: object;
} {
  const { direct, weft, nginx: ng } = m.byRow;
  const withAuthz = m.byRow['weft-authz'];
  const list: (readonly [string, boolean])[] = [];
  if (weft && ng && direct) {
    list.push([`added p99 ≤ nginx pair's`, weft.p99 - direct.p99 <= ng.p99 - direct.p99]);
    list.push([`saturation ≥ half the nginx pair's`, weft.saturation >= ng.saturation / 2]);
  }
  if (weft) {
    list.push(['≤ 0.2 CPU-s per 1000 requests (both sidecars)', weft.cpuPer1000 <= 0.2]);
    list.push(['≤ 60 MB resident per sidecar under load', Math.max(...weft.rssLoadMb) <= 60]);
  }
  if (!weft) return { list };
  const routing = [
    ...against(weft, m.byRow['weft-routes'], '100 route rules', list),
    ...against(weft, m.byRow['weft-retry'], 'retries set, not triggered', list),
  ];
  if (!withAuthz)
    return { list, ...(routing.length ? { routing: Object.fromEntries(routing) } : {}) };
  const addedCpu = withAuthz.cpuPer1000 / weft.cpuPer1000 - 1;
  const addedP99 = withAuthz.p99 - weft.p99;
  process.stdout.write(
    `\nAuthorization (100 rules, the last matches) vs no policy, same run: ` +
      `CPU per request ${addedCpu >= 0 ? '+' : ''}${fmt(addedCpu * 100)} %, ` +
      `p99 ${addedP99 >= 0 ? '+' : ''}${fmt(addedP99)} ms\n`,
  );
  list.push(['100 authz rules: ≤ 5 % added CPU per request', addedCpu <= 0.05]);
  list.push(['100 authz rules: ≤ 0.1 ms added p99', addedP99 <= 0.1]);
  return {
    list,
    authz: { addedCpuFraction: addedCpu, addedP99Ms: addedP99 },
    ...(routing.length ? { routing: Object.fromEntries(routing) } : {}),
  };
}

/** A routing row against the pair without routes: the targets, printed and judged. */
function against(
  weft: PathResult,
  row: PathResult | undefined,
  what: string,
  list: (readonly [string, boolean])[],
): [string, object][] {
  if (!row) return [];
  const addedCpu = row.cpuPer1000 / weft.cpuPer1000 - 1;
  const addedP99 = row.p99 - weft.p99;
  process.stdout.write(
    `\n${what} vs none, same run: CPU per request ${addedCpu >= 0 ? '+' : ''}${fmt(addedCpu * 100)} %, ` +
      `p99 ${addedP99 >= 0 ? '+' : ''}${fmt(addedP99)} ms\n`,
  );
  list.push([`${what}: ≤ 5 % added CPU per request`, addedCpu <= 0.05]);
  list.push([`${what}: ≤ 0.1 ms added p99`, addedP99 <= 0.1]);
  return [[what, { addedCpuFraction: addedCpu, addedP99Ms: addedP99 }]];
}

async function main(): Promise<void> {
  const rows = chosenRows(process.env.ROWS);
  progress(`rows: ${[...rows].join(', ')}`);
  progress('starting control plane, CA, two pods and their sidecars');
  const mesh = await startMesh({ servers: 1 });
  const children: { kill(): boolean }[] = [];
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
      qps: QPS,
      connections: CONNECTIONS,
      rows: [...rows],
      http1: m.results,
      ...(v.authz ? { authz: v.authz } : {}),
      ...(v.routing ? { routing: v.routing } : {}),
      ...(m.h2
        ? { http2: { direct: m.h2.direct.DurationHistogram, pair: m.h2.pair.DurationHistogram } }
        : {}),
      targets: Object.fromEntries(v.list),
    });
    process.stdout.write(`\nwrote ${file}\n`);
  } finally {
    for (const c of children) c.kill();
    await mesh.stop();
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
