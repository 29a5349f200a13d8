// A real Prometheus (Debian's package) scraping the sidecars' health ports, with
// its HTTP API for assertions.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../controlplane/processes.js';
import { eventually } from './cluster.js';
import { watchProcess } from './weft-process.js';

export interface Prometheus {
  readonly url: string;
  /** An instant query's samples: labels and value. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export const PROMETHEUS_BIN = process.env.WEFT_PROMETHEUS ?? '/usr/bin/prometheus';

export async function startPrometheus(targets: readonly string[]): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-prom-'));
  const config = [
    'global: { scrape_interval: 1s, scrape_timeout: 900ms }',
    'scrape_configs:',
    '  - job_name: weft-sidecars',
    '    metrics_path: /stats/prometheus',
    `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = watchProcess(
    spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  await eventually('Prometheus to be ready', async () => {
    const res = await fetch(`${url}/-/ready`).catch(() => undefined);
    return res?.ok ? true : undefined;
  });
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async stop() {
      await proc.signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
