// fortio (Istio's load generator) run inside a pod, shared by bench:sidecar and
// bench:profile: the same load, the same parsing of its JSON result.
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '../test/support/mesh-net.js';

export const FORTIO = process.env.WEFT_FORTIO ?? path.join(os.homedir(), 'go/bin/fortio');
export const QPS = 1000;
export const CONNECTIONS = 16;

/** Runs a command in a pod; its stdout, or a rejection with the tail of it. */
export function run(pod: Pod, cmd: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = pod.spawn(cmd);
    let out = '';
    // Only the tail of stderr is kept: fortio logs a line per error, and says why it
    // gave up there (its stdout is then empty).
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd[0]} exited ${code}: ${out.slice(-500)}${err.slice(-500)}`)),
    );
  });
}

export interface Fortio {
  ActualQPS: number;
  RetCodes: Record<string, number>;
  DurationHistogram: {
    Count: number;
    Max: number;
    Percentiles: { Percentile: number; Value: number }[];
  };
}

/** QPS requests per second over CONNECTIONS keep-alive connections for `seconds`. */
export async function fortio(
  pod: Pod,
  url: string,
  seconds: number,
  extra: string[] = [],
): Promise<Fortio> {
  const out = await run(pod, [
    FORTIO,
    'load',
    '-quiet',
    ...['-qps', String(QPS), '-c', String(CONNECTIONS), '-t', `${seconds}s`],
    ...['-p', '50,90,99', '-json', '-', ...extra],
    url,
  ]);
  return JSON.parse(out.slice(out.indexOf('{'))) as Fortio;
}

/** A percentile of a fortio run, in ms. */
export const percentileMs = (f: Fortio, p: number): number =>
  (f.DurationHistogram.Percentiles.find((x) => x.Percentile === p)?.Value ?? NaN) * 1000;
