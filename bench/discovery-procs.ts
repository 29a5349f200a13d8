// The real processes bench:discovery measures: the built `weft discovery` (its CPU
// and memory alone, from /proc) and one real `weft sidecar` (its resident memory
// with an empty mesh and with the whole catalog).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SIDECAR_NODE_OPTIONS } from '../src/sidecar-node-options.js';
import { freePort } from '../test/controlplane/processes.js';
import { WEFT_BIN, startWeft, watchProcess } from '../test/support/weft-process.js';
import type { WeftProcess } from '../test/support/weft-process.js';
import { cpuSeconds, rssMb } from './proc-stats.js';

export interface DiscoveryProcess {
  readonly weft: WeftProcess;
  readonly pid: number;
  readonly port: number;
}

/** `weft discovery` with its serving certificate, key and roots written to `dir`. */
export async function startDiscoveryProcess(
  dir: string,
  kubeconfig: string,
  tls: { cert: string; key: string; roots: string },
  flags: string[] = [],
): Promise<DiscoveryProcess> {
  const files = Object.fromEntries(
    Object.entries(tls).map(([k, pem]) => {
      const file = path.join(dir, `discovery-${k}.pem`);
      writeFileSync(file, pem, { mode: 0o600 });
      return [k, file];
    }),
  );
  const weft = startWeft([
    'discovery',
    ...['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig],
    ...['--tls-cert', files.cert!, '--tls-key', files.key!, '--roots', files.roots!],
    ...flags,
  ]);
  const ready = JSON.parse(await weft.waitFor(/"discovery ready"/, 120_000)) as { port: number };
  return { weft, pid: weft.child.pid!, port: ready.port };
}

export interface RealSidecar {
  readonly weft: WeftProcess;
  readonly pid: number;
  /** Ready: certificate issued and a first view applied. */
  ready(): Promise<boolean>;
  /** Discovery messages it applied (its own counter: a small answer, unlike config_dump). */
  applied(): Promise<number>;
  /** The services in the config it applied (admin /config_dump: serialising 1000 services
   * costs the sidecar memory, so it is asked only after its memory is measured). */
  services(): Promise<number>;
}

export async function startRealSidecar(o: {
  readonly discovery: string;
  readonly ca: string;
  readonly tokenFile: string;
  readonly rootsFile: string;
  readonly pod: string;
  readonly namespace: string;
  readonly ip: string;
}): Promise<RealSidecar> {
  const [admin, health, outbound, inbound] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const at = (port: number | undefined): string => `127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      WEFT_BIN,
      'sidecar',
      ...['--discovery-address', o.discovery, '--ca-address', o.ca],
      ...['--token-file', o.tokenFile, '--trust-bundle-file', o.rootsFile],
      ...['--pod-name', o.pod, '--pod-namespace', o.namespace, '--pod-ip', o.ip],
      ...['--admin-listen', at(admin), '--health-listen', at(health)],
      ...['--outbound-listen', at(outbound), '--inbound-listen', at(inbound)],
      ...['--log-level', 'warn'],
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: SIDECAR_NODE_OPTIONS },
    },
  );
  const weft = watchProcess(child);
  return {
    weft,
    pid: child.pid!,
    ready: async () => {
      const res = await fetch(`http://${at(health)}/healthz/ready`).catch(() => undefined);
      return res?.status === 200;
    },
    applied: async () => {
      const res = await fetch(`http://${at(admin)}/stats/prometheus`);
      const m = /^weft_sidecar_discovery_applied_total(?:\{[^}]*\})? (\d+)/m.exec(await res.text());
      return Number(m?.[1] ?? -1);
    },
    services: async () => {
      const res = await fetch(`http://${at(admin)}/config_dump`);
      if (res.status !== 200) return -1;
      const config = (await res.json()) as { services?: unknown[] };
      return config.services?.length ?? -1;
    },
  };
}

/** Peak resident memory of `pid`, sampled every 200 ms until stopped. */
export function rssPeak(pid: number): { peakMb(): number; stop(): void } {
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone; the peak so far stands
    }
  };
  sample();
  const timer = setInterval(sample, 200);
  return { peakMb: () => (sample(), peak), stop: () => clearInterval(timer) };
}

/** CPU of `pids` over a phase, in vCPU (CPU-seconds per wall second). */
export function cpuMeter(pids: readonly number[]): () => { vcpu: number; seconds: number } {
  const total = (): number => pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const cpu0 = total();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    return { vcpu: (total() - cpu0) / seconds, seconds };
  };
}

/** Resident memory of `pid` after `settleMs`: the median of samples over the last second. */
export async function settledRss(pid: number, settleMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, Math.max(0, settleMs - 1000)));
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMb(pid));
    await new Promise((r) => setTimeout(r, 200));
  }
  return samples.sort((a, b) => a - b)[2]!;
}
