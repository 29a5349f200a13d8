// Heap of discovery's pod cache with and without trimming (discovery/slim.ts):
// N pods as the API server sends them (decoded from JSON, as the informer does),
// kept like the informer and the cache keep them. Run with --expose-gc:
//   node --expose-gc dist/bench/discovery-heap.js [N]
import { slimPod } from '../discovery/slim.js';
import type { V1Pod } from '@kubernetes/client-node';
import { realisticPod } from '../test/support/realistic-pod.js';

const N = Number(process.argv[2] ?? 1000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapAfter(keep: (pod: V1Pod) => V1Pod): { mb: number; held: V1Pod[] } {
  gc!();
  const before = process.memoryUsage().heapUsed;
  const held = Array.from({ length: N }, (_, i) =>
    keep(JSON.parse(JSON.stringify(realisticPod(i))) as V1Pod),
  );
  gc!();
  return { mb: (process.memoryUsage().heapUsed - before) / 1024 / 1024, held };
}

const wire = JSON.stringify(realisticPod(0)).length;
const full = heapAfter((p) => p);
const fullMb = full.mb;
full.held.length = 0;
const slim = heapAfter(slimPod);
process.stdout.write(
  `${N} pods (${wire} B of JSON each): heap ${fullMb.toFixed(1)} MB as received, ` +
    `${slim.mb.toFixed(1)} MB trimmed (${(fullMb / slim.mb).toFixed(1)}× less)\n`,
);
