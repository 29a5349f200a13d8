// A worker process of bench:discovery: runs the sims the parent hands it
// (discovery-sim.ts) and answers the parent's questions over IPC
// (discovery-fleet.ts): has every sim synced, when did each apply a change.
// It exits when the parent goes away, so a crashed bench leaves no workers.
import type { Resource } from '../src/mesh/view.js';
import type { FromWorker, Heap, ToWorker, Watched, WorkerStats } from './discovery-fleet.js';
import type { AppliedMessage } from './discovery-sim.js';
import { Sim, holdsEndpoint, isSubscribed } from './discovery-sim.js';

interface Watch extends Watched {
  readonly id: number;
  readonly resource: string;
  readonly address: string;
  readonly waiting: Set<Sim>;
}

const sims: Sim[] = [];
const pool = new Map<string, Resource>();
const watches = new Map<number, Watch>();
const awaits = new Map<number, number>();
const stats: WorkerStats = { deltaApplyMs: [], snapshotApplyMs: [], snapshotBytes: [], nacks: [] };

const send = (m: FromWorker): void => void process.send!(m);
const reply = (id: number, value: unknown): void => send({ type: 'reply', id, value });

function settleWatch(w: Watch): void {
  if (w.waiting.size) return;
  watches.delete(w.id);
  reply(w.id, { at: w.at, bytes: w.bytes, applyMs: w.applyMs } satisfies Watched);
}

function settleAwaits(): void {
  for (const [id, services] of awaits) {
    if (sims.every((s) => s.applied > 0 && s.services >= services)) {
      awaits.delete(id);
      reply(id, true);
    }
  }
}

function onApplied(sim: Sim, a: AppliedMessage): void {
  if (a.type === 'snapshot') {
    stats.snapshotApplyMs.push(a.applyMs);
    stats.snapshotBytes.push(a.bytes);
  } else stats.deltaApplyMs.push(a.applyMs);
  for (const w of watches.values()) {
    if (w.waiting.has(sim) && holdsEndpoint(sim.view, w.resource, w.address)) {
      w.waiting.delete(sim);
      w.at.push(a.at);
      w.bytes.push(a.bytes);
      w.applyMs.push(a.applyMs);
      settleWatch(w);
    }
  }
  settleAwaits();
}

function heap(id: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  reply(id, { heapUsedMb: m.heapUsed / 1048576, rssMb: m.rss / 1048576 } satisfies Heap);
}

function onParent(m: ToWorker): void {
  switch (m.type) {
    case 'start':
      for (const spec of m.sims) {
        const sim = new Sim(spec, { ...m, pool, onApplied });
        sims.push(sim);
        sim.start();
      }
      return;
    case 'await':
      awaits.set(m.id, m.services);
      return settleAwaits();
    case 'watch': {
      const waiting = sims.filter(
        (s) =>
          isSubscribed(s.subscription, m.resource) && !holdsEndpoint(s.view, m.resource, m.address),
      );
      const w: Watch = { ...m, waiting: new Set(waiting), at: [], bytes: [], applyMs: [] };
      watches.set(m.id, w);
      return settleWatch(w);
    }
    case 'heap':
      return heap(m.id);
    case 'stats':
      return reply(m.id, { ...stats, nacks: sims.flatMap((s) => s.nacks) });
  }
}

process.on('message', onParent);
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  send({
    type: 'progress',
    connected: sims.filter((s) => s.connected).length,
    synced: sims.filter((s) => s.applied > 0).length,
    minServices: sims.length ? Math.min(...sims.map((s) => s.services)) : 0,
    nacks: sims.reduce((a, s) => a + s.nacks.length, 0),
  });
}, 1000).unref();
