// Where a sidecar's CPU goes, by stage of the request path: a V8 .cpuprofile
// (node --cpu-prof) cut to the load window and each sample given to one stage.
//
// How a sample is attributed: walk its stack from the innermost frame outwards;
// the first frame whose script maps to a stage decides. Frames that only carry
// control (node:events, promise and timer queues, async hooks, native calls
// without a script such as `writev` or the HTTP parser's `execute`, weft's mesh
// lookups) are transparent: they pass the sample to their nearest caller that
// maps. A stack where nothing maps counts as `other`. V8's pseudo-frames decide
// alone: `(garbage collector)` is GC, `(program)` is native code with no JS on the
// stack (libuv, epoll, syscalls, and TLS record decryption, which runs in C++
// before the cleartext reaches JS), `(idle)` is not CPU and is left out.

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

/** The .cpuprofile format V8 writes (times in µs of the monotonic clock). */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The stages, in the order the tables list them, with what each holds. */
export const STAGES = {
  tls: 'TLS: node:_tls_wrap / node:tls (handshakes, session, cleartext ↔ record writes)',
  io: 'sockets and streams: node:net, stream internals, native writes (mTLS: record encryption)',
  native: '(program): native with no JS on the stack (libuv, syscalls, TLS record decryption)',
  http: 'HTTP/1.1 server: parse requests, write response heads (node:_http_*)',
  http2: 'HTTP/2: node:internal/http2 (sessions, streams, the compatibility API), both ways',
  upstream: 'upstream client: serialise requests, parse responses (undici)',
  telemetry: 'layer telemetry',
  rescue: 'layer rescue',
  trace: 'layer trace',
  route: 'layer route',
  routing: 'layers routes, timeout, retry (+ route-decision, src/routes, deadline, retry policy)',
  balance: 'layer balance (+ load-balancers)',
  forward: 'layer forward (+ forward-pooled, upstream-pool, header hygiene)',
  authorize: 'layer authorize (+ sidecar/authz, src/authz, path normalisation)',
  metrics: 'metrics: prom-client and istio-metrics',
  log: 'logging: access log and rate-limited lines (src/log*)',
  sidecar: 'sidecar plumbing: listeners, exchange, peer labels, connection budget',
  gc: 'GC on the main thread: (garbage collector)',
  other: 'other: stacks where no frame maps (timers, microtask queue, node internals)',
} as const;
export type Stage = keyof typeof STAGES;

/** File (under dist/, or a package) → stage; checked in this order, first hit wins. */
const BY_FILE: readonly (readonly [RegExp, Stage])[] = [
  [/\/node_modules\/prom-client\/|\/sidecar\/istio-metrics\.js$/, 'metrics'],
  [/\/src\/log(-limit)?\.js$/, 'log'],
  [/\/node_modules\/undici\//, 'upstream'],
  [/\/sidecar\/layers\/telemetry\.js$/, 'telemetry'],
  [/\/sidecar\/layers\/rescue\.js$/, 'rescue'],
  [/\/sidecar\/layers\/trace\.js$/, 'trace'],
  [/\/sidecar\/layers\/route\.js$/, 'route'],
  [
    /\/sidecar\/(layers\/(routes|timeout|retry|request-body)|route-decision|deadline|try-signal|retry-policy|replayable-body)\.js$|\/src\/routes\//,
    'routing',
  ],
  [/\/sidecar\/(layers\/balance|load-balancers)\.js$/, 'balance'],
  [
    /\/sidecar\/(layers\/forward|forward-[a-z0-9]+|upstream-pool|upstream-errors|http-headers)\.js$/,
    'forward',
  ],
  [
    /\/sidecar\/(layers\/authorize|authz)\.js$|\/src\/authz\/|\/src\/http\/normalize-path/,
    'authorize',
  ],
  [/\/sidecar\/[^/]+\.js$/, 'sidecar'],
];

/** Node's own modules → stage; the rest of node: is transparent. */
const BY_NODE_MODULE: readonly (readonly [RegExp, Stage])[] = [
  [/^node:(_tls_wrap|tls|_tls_common|internal\/tls\/)/, 'tls'],
  [/^node:(_http_server|_http_common|_http_incoming|_http_outgoing|http)$/, 'http'],
  [/^node:(_http_client|_http_agent)$/, 'upstream'],
  [/^node:internal\/http2\//, 'http2'],
  [/^node:(net|stream|internal\/stream_base_commons|internal\/streams\/|internal\/net)/, 'io'],
];

const PSEUDO: Readonly<Record<string, Stage | 'idle'>> = {
  '(garbage collector)': 'gc',
  '(program)': 'native',
  '(idle)': 'idle',
};

/** The stage a frame maps to, or undefined when it is transparent. */
export function stageOfFrame(f: CallFrame): Stage | 'idle' | undefined {
  if (f.url === '') return PSEUDO[f.functionName];
  const table = f.url.startsWith('node:') ? BY_NODE_MODULE : BY_FILE;
  return table.find(([re]) => re.test(f.url))?.[1];
}

export type StageSamples = Record<Stage | 'idle', number>;

const emptyCounts = (): StageSamples =>
  Object.fromEntries([...Object.keys(STAGES), 'idle'].map((s) => [s, 0])) as StageSamples;

/** Per node id: the stage its stack maps to (computed once per node, parents first). */
function stagesByNode(p: CpuProfile): Map<number, Stage | 'idle'> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, Stage | 'idle'>();
  const resolve = (id: number): Stage | 'idle' => {
    const known = memo.get(id);
    if (known) return known;
    const own = stageOfFrame(byId.get(id)!.callFrame);
    const up = parent.get(id);
    const stage = own ?? (up === undefined ? 'other' : resolve(up));
    memo.set(id, stage);
    return stage;
  };
  for (const n of p.nodes) resolve(n.id);
  return memo;
}

/** Samples per stage taken within [fromUs, toUs] (the profile's monotonic clock). */
export function samplesByStage(p: CpuProfile, fromUs: number, toUs: number): StageSamples {
  const stages = stagesByNode(p);
  const counts = emptyCounts();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    counts[stages.get(p.samples[i]!) ?? 'other'] += 1;
  }
  return counts;
}

/** Self samples per function (innermost frame) in the window: where to look next. */
export function topFunctions(
  p: CpuProfile,
  fromUs: number,
  toUs: number,
  n: number,
): { frame: string; samples: number }[] {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const counts = new Map<string, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const f = byId.get(p.samples[i]!)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const file = f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([frame, samples]) => ({ frame, samples }))
    .sort((a, b) => b.samples - a.samples)
    .slice(0, n);
}

/** One sidecar in one window: its samples and what /proc says it spent. */
export interface Measured {
  readonly samples: StageSamples;
  /** CPU of the main thread (the one V8 samples), µs, from /proc. */
  readonly mainCpuUs: number;
  /** CPU of every other thread (V8's GC and compiler helpers, libuv's pool), µs. */
  readonly otherThreadsCpuUs: number;
  readonly requests: number;
}

/**
 * µs of CPU per request by stage: the main thread's CPU (from /proc) split in the
 * proportions of its non-idle samples, plus the other threads as their own row.
 */
export function perRequest(m: Measured): Record<Stage | 'threads', number> {
  const busy = Object.entries(m.samples)
    .filter(([s]) => s !== 'idle')
    .reduce((sum, [, c]) => sum + c, 0);
  const out = {} as Record<Stage | 'threads', number>;
  for (const s of Object.keys(STAGES) as Stage[]) {
    out[s] = busy === 0 ? 0 : (m.mainCpuUs * (m.samples[s] / busy)) / m.requests;
  }
  out.threads = m.otherThreadsCpuUs / m.requests;
  return out;
}
