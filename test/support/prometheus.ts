// A real Prometheus (Debian's package) for assertions through its HTTP API: scraping
// fixed targets (the netns mesh) or discovering pods through the Kubernetes API as
// users configure it (test/cluster/prometheus-pods.ts). It runs under coreutils'
// `timeout`, so even a test process that dies cannot leave it running.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../controlplane/processes.js';
import { eventually } from './cluster.js';
import { watchProcess } from './weft-process.js';

export interface ScrapeTarget {
  readonly scrapeUrl: string;
  readonly health: string;
  readonly labels: Record<string, string>;
}

export interface Prometheus {
  readonly url: string;
  /** An instant query's samples: labels and value. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** The active scrape targets, after relabelling. */
  targets(): Promise<ScrapeTarget[]>;
  stop(): Promise<void>;
}

export const PROMETHEUS_BIN = process.env.WEFT_PROMETHEUS ?? '/usr/bin/prometheus';
/** The longest any test's Prometheus lives; `timeout` sends SIGTERM after it. */
export const PROMETHEUS_LIFETIME_SECONDS = 600;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { data: T }).data;
}

export interface PrometheusOptions {
  /** Its binary (default PROMETHEUS_BIN). */
  readonly bin?: string;
  readonly lifetimeSeconds?: number;
}

/**
 * Starts Prometheus in a fresh temp dir; `configure(dir)` may write files there
 * (tokens, CAs) and returns the YAML configuration. stop() sends SIGTERM and
 * removes the dir.
 */
export async function startPrometheusWith(
  configure: (dir: string) => string,
  opts: PrometheusOptions = {},
): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-prom-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), configure(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = watchProcess(
    spawn(
      'timeout',
      [
        '--kill-after=10',
        String(opts.lifetimeSeconds ?? PROMETHEUS_LIFETIME_SECONDS),
        opts.bin ?? PROMETHEUS_BIN,
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  const stop = async (): Promise<void> => {
    await proc.signal('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  await eventually('Prometheus to be ready', async () => {
    const res = await fetch(`${url}/-/ready`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }).catch(async (err: unknown) => {
    await stop();
    throw new Error(`${String(err)}\n${proc.output.slice(-20).join('\n')}`, { cause: err });
  });
  return {
    url,
    async query(promql) {
      const data = await getJson<{
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = await getJson<{ activeTargets: ScrapeTarget[] }>(
        `${url}/api/v1/targets?state=active`,
      );
      return data.activeTargets;
    },
    stop,
  };
}

/** Prometheus scraping the sidecars' health ports at fixed addresses. */
export function startPrometheus(targets: readonly string[]): Promise<Prometheus> {
  return startPrometheusWith(() =>
    [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms }',
      'scrape_configs:',
      '  - job_name: weft-sidecars',
      '    metrics_path: /stats/prometheus',
      `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
}
