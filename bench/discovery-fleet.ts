// The parent's side of bench:discovery's simulated sidecars: worker processes
// (discovery-sim-worker.ts), each running a share of the sims, driven over IPC.
// The messages both sides exchange are declared here.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SimSpec } from './discovery-sim.js';

export type ToWorker =
  | {
      readonly type: 'start';
      readonly port: number;
      readonly roots: string;
      readonly serverIdentity: string;
      readonly keepConfig: boolean;
      readonly sims: SimSpec[];
    }
  | { readonly type: 'await'; readonly id: number; readonly services: number }
  | {
      readonly type: 'watch';
      readonly id: number;
      readonly resource: string;
      readonly address: string;
    }
  | { readonly type: 'heap'; readonly id: number }
  | { readonly type: 'stats'; readonly id: number };

export interface Progress {
  readonly connected: number;
  readonly synced: number;
  readonly minServices: number;
  readonly nacks: number;
}

export interface Watched {
  /** Epoch ms at which each subscribed sim had applied the change. */
  readonly at: number[];
  /** The size of the message that carried it, per sim. */
  readonly bytes: number[];
  readonly applyMs: number[];
}

export interface WorkerStats {
  readonly deltaApplyMs: number[];
  readonly snapshotApplyMs: number[];
  readonly snapshotBytes: number[];
  readonly nacks: string[];
}

export interface Heap {
  readonly heapUsedMb: number;
  readonly rssMb: number;
}

export type FromWorker =
  | ({ readonly type: 'progress' } & Progress)
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown };

const WORKER = path.join(import.meta.dirname, 'discovery-sim-worker.js');

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class Fleet {
  private readonly progress = new Map<ChildProcess, Progress>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on('message', (m: FromWorker) => this.onMessage(child, m));
      child.on('exit', (code, signal) => {
        for (const p of this.pending.values())
          p.reject(new Error(`sim worker ${child.pid} exited (${code ?? signal})`));
        this.pending.clear();
      });
    }
  }

  /** `workers` processes sharing `specs` round-robin; `execArgv` e.g. --expose-gc. */
  static start(
    workers: number,
    specs: readonly SimSpec[],
    start: Omit<Extract<ToWorker, { type: 'start' }>, 'type' | 'sims'>,
    execArgv: string[] = [],
  ): Fleet {
    const n = Math.max(1, Math.min(workers, specs.length));
    const children = Array.from({ length: n }, () =>
      fork(WORKER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    for (const [w, child] of children.entries()) {
      const sims = specs.filter((_, i) => i % n === w);
      child.send({ type: 'start', ...start, sims } satisfies ToWorker);
    }
    return new Fleet(children);
  }

  pids(): number[] {
    return this.children.map((c) => c.pid ?? 0).filter((p) => p > 0);
  }

  /** The fleet's progress, summed over the workers' last reports. */
  summary(): Progress {
    const all = [...this.progress.values()];
    return {
      connected: all.reduce((a, p) => a + p.connected, 0),
      synced: all.reduce((a, p) => a + p.synced, 0),
      minServices: all.length ? Math.min(...all.map((p) => p.minServices)) : 0,
      nacks: all.reduce((a, p) => a + p.nacks, 0),
    };
  }

  /** Resolves once every sim has applied a view, with at least `services` services. */
  async awaitServices(services: number, timeoutMs: number): Promise<void> {
    await this.all((id) => ({ type: 'await', id, services }), timeoutMs, 'every sim synced');
  }

  /** Resolves once every subscribed sim has applied `address` in `resource`. */
  async watch(resource: string, address: string, timeoutMs: number): Promise<Watched> {
    const parts = (await this.all(
      (id) => ({ type: 'watch', id, resource, address }),
      timeoutMs,
      `${address} in ${resource} everywhere`,
    )) as Watched[];
    return {
      at: parts.flatMap((p) => p.at),
      bytes: parts.flatMap((p) => p.bytes),
      applyMs: parts.flatMap((p) => p.applyMs),
    };
  }

  async stats(): Promise<WorkerStats> {
    const parts = (await this.all(
      (id) => ({ type: 'stats', id }),
      30_000,
      'stats',
    )) as WorkerStats[];
    return {
      deltaApplyMs: parts.flatMap((p) => p.deltaApplyMs),
      snapshotApplyMs: parts.flatMap((p) => p.snapshotApplyMs),
      snapshotBytes: parts.flatMap((p) => p.snapshotBytes),
      nacks: parts.flatMap((p) => p.nacks),
    };
  }

  /** The first worker's heap after a full GC (its process must run with --expose-gc). */
  async heap(): Promise<Heap> {
    const [h] = (await this.all((id) => ({ type: 'heap', id }), 30_000, 'heap')) as Heap[];
    return h!;
  }

  stop(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
  }

  private onMessage(child: ChildProcess, m: FromWorker): void {
    if (m.type === 'progress') {
      const { type: _, ...p } = m;
      this.progress.set(child, p);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    p?.resolve(m.value);
  }

  private all(make: (id: number) => ToWorker, timeoutMs: number, what: string): Promise<unknown[]> {
    const asks = this.children.map(
      (child) =>
        new Promise<unknown>((resolve, reject) => {
          const id = ++this.nextId;
          const timer = setTimeout(() => {
            this.pending.delete(id);
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
          }, timeoutMs);
          this.pending.set(id, {
            resolve: (v) => {
              clearTimeout(timer);
              resolve(v);
            },
            reject: (e) => {
              clearTimeout(timer);
              reject(e);
            },
          });
          child.send(make(id));
        }),
    );
    return Promise.all(asks);
  }
}
