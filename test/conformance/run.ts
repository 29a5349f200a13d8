// `npm run conformance`: the Gateway API conformance suite's mesh profiles
// (MESH-HTTP, MESH-GRPC) against weft on the test cluster's real node. Starts the
// cluster (or uses the one $KUBECONFIG names, from `npm run cluster`), imports the
// suite's echo image, installs the Gateway API CRDs and weft (`kubectl apply -k
// manifests/`), runs the suite binary test/conformance/build.sh cached, writes the
// report to conformance/report.yaml and prints one line per test. Exits 1 if a
// test failed or the suite did not finish. The options weft runs with live in
// test/conformance/options.yaml.
//
// `--run-test NAME` (or WEFT_CONFORMANCE_RUN_TEST=NAME) runs one test (the suite's
// -run-test) against a running cluster for fast iteration: the report goes to a
// temporary file (the committed one is a whole run's) and the suite's echo
// workloads are kept for the next try (-cleanup-base-resources=false).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cacheRoot, startCluster } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import { clusterSourceDir } from '../cluster/host.js';
import { importImages } from '../cluster/images.js';
import { installWeft } from '../cluster/journey-support.js';
import { containerdSocket } from '../cluster/node-config.js';
import { ensureGatewayCrds } from './gateway-crds.js';
import { formatSummary, parseGoTestOutput } from './go-test-results.js';

const repo = path.resolve(clusterSourceDir, '../..');
const here = path.join(repo, 'test', 'conformance');
const ECHO_TAG = 'registry.k8s.io/gateway-api/echo-advanced:v1.5.1';
// The suite's own per-step timeouts bound each test; this bounds the whole run
// (22 mesh tests, most waiting out their 30-60 s timeouts while weft has no routing).
const SUITE_TIMEOUT_MIN = 45;

const log = (line: string): void => {
  process.stderr.write(`[conformance] ${line}\n`);
};

function suiteVersion(): string {
  const mod = readFileSync(path.join(here, 'suite', 'go.mod'), 'utf8');
  const m = /^require sigs\.k8s\.io\/gateway-api\/conformance (\S+)/m.exec(mod);
  if (!m?.[1]) throw new Error('test/conformance/suite/go.mod pins no conformance version');
  return m[1];
}

/** Runs build.sh (cached), its progress on stderr; resolves to the cache folder. */
async function build(): Promise<string> {
  const started = Date.now();
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn(path.join(here, 'build.sh'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`build.sh exited ${code}`)),
    );
  });
  log(`suite, echo app and image ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

interface Target {
  readonly kubeconfig: string;
  readonly socket: string;
  readonly cluster?: Cluster;
}

/** $KUBECONFIG from `npm run cluster` (its containerd socket sits beside it), else a new cluster. */
async function target(): Promise<Target> {
  const given = process.env.KUBECONFIG;
  if (given) {
    const socket = containerdSocket(path.dirname(given));
    if (!existsSync(socket)) {
      throw new Error(
        `KUBECONFIG=${given} is not a running \`npm run cluster\` (no containerd socket at ${socket}); unset it to start one`,
      );
    }
    log(`using the running cluster of KUBECONFIG=${given}`);
    return { kubeconfig: given, socket };
  }
  log('starting the one-node test cluster');
  const cluster = await startCluster({ onProgress: (l) => log(`cluster: ${l}`) });
  log(`cluster ready in ${(cluster.startupMs / 1000).toFixed(1)} s`);
  return { kubeconfig: cluster.kubeconfigPath, socket: containerdSocket(cluster.dir), cluster };
}

async function prepare(t: Target, cache: string, version: string): Promise<void> {
  const key = readFileSync(path.join(cache, 'echo-advanced.key'), 'utf8');
  const tar = path.join(cache, 'echo-advanced.tar');
  const imported = await importImages(t.socket, path.join(cacheRoot(), 'containerd-root'), [
    { tag: ECHO_TAG, tar, key },
  ]);
  log(imported.length ? `imported ${ECHO_TAG}` : `${ECHO_TAG} already in containerd`);
  log(await ensureGatewayCrds(t.kubeconfig, path.join(here, 'suite'), version));
  const started = Date.now();
  await installWeft(t.kubeconfig, '120s');
  log(
    `weft installed (kubectl apply -k manifests/) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

// Lines worth showing live: test starts/results and the suite's setup steps.
const PROGRESS = /^(=== RUN|\s*--- (PASS|FAIL|SKIP)|.*Test Setup:|.*(panic|FAIL\s))/;

/** The one test `--run-test NAME` or $WEFT_CONFORMANCE_RUN_TEST names, if any. */
function singleTest(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.indexOf('--run-test');
  const name = i >= 0 ? argv[i + 1] : env.WEFT_CONFORMANCE_RUN_TEST;
  if (name === undefined || name === '') return undefined;
  // The suite matches ShortNames exactly; anything else is a typo that would run nothing.
  if (!/^[A-Za-z0-9]+$/.test(name)) throw new Error(`--run-test: "${name}" is not a test name`);
  return name;
}

/** Runs the suite binary; resolves to its whole output (also written to logFile). */
async function runSuite(
  cache: string,
  kubeconfig: string,
  logFile: string,
  only: string | undefined,
): Promise<string> {
  const report = only
    ? path.join(os.tmpdir(), `weft-conformance-${only}.yaml`)
    : path.join(repo, 'conformance', 'report.yaml');
  mkdirSync(path.dirname(report), { recursive: true });
  const args = [
    '-test.v',
    `-test.timeout=${SUITE_TIMEOUT_MIN}m`,
    `-conformance-options-file=${path.join(here, 'options.yaml')}`,
    `-report-output=${report}`,
    ...(only ? [`-run-test=${only}`, '-cleanup-base-resources=false'] : []),
  ];
  log(`running conformance.test ${args.join(' ')} (full output: ${logFile})`);
  const file = createWriteStream(logFile);
  const child = spawn(path.join(cache, 'conformance.test'), args, {
    cwd: os.tmpdir(),
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = (): void => {
    child.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const hardStop = setTimeout(stop, (SUITE_TIMEOUT_MIN + 2) * 60_000);
  const lines: string[] = [];
  const read = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve) => {
      const rl = createInterface({ input: stream });
      rl.on('line', (line) => {
        lines.push(line);
        file.write(`${line}\n`);
        if (PROGRESS.test(line)) process.stderr.write(`  ${line.trim()}\n`);
      });
      rl.on('close', resolve);
    });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await Promise.all([read(child.stdout), read(child.stderr)]);
  const code = await exited;
  clearTimeout(hardStop);
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  file.end();
  log(`conformance.test exited ${code ?? 'on a signal'}; report: ${report}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const only = singleTest(process.argv.slice(2), process.env);
  const version = suiteVersion();
  const cache = await build();
  const t = await target();
  try {
    await prepare(t, cache, version);
    const logFile = path.join(os.tmpdir(), `weft-conformance-${Date.now()}.log`);
    const started = Date.now();
    const output = await runSuite(cache, t.kubeconfig, logFile, only);
    const results = parseGoTestOutput(output);
    log(`suite ran in ${((Date.now() - started) / 60_000).toFixed(1)} min; per test:`);
    process.stdout.write(`${formatSummary(results)}\n`);
    // go test prints the top-level result last; without it the suite was cut short.
    const finished = /^--- (PASS|FAIL): TestConformance /m.test(output);
    return finished && !results.some((r) => r.outcome === 'FAIL') ? 0 : 1;
  } finally {
    if (t.cluster) {
      log('stopping the cluster');
      await t.cluster.stop();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
