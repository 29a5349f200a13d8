// The cluster bench:discovery measures, made through the real API server in
// parallel batches with progress: the sims' pods (one loopback address each),
// SERVICES Services with ENDPOINTS endpoints each, and a certificate per pod.
import type { Authority } from '../ca/authority.js';
import type { TestCluster } from '../test/support/discovery-cluster.js';
import { meshLeaf } from '../test/support/mtls-attempt.js';
import type { SimSpec } from './discovery-sim.js';

const say = (line: string): boolean => process.stderr.write(`  ${line}\n`);

/** Runs `fn` over 0..count-1, `concurrency` at a time, printing progress every tenth. */
export async function inBatches(
  label: string,
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(count / 10));
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      await fn(next++);
      if (++done % step === 0 || done === count) {
        say(`${label}: ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Sim i's pod address: 127.0.40.1 onward, 250 a block (never .0 or .255). */
export const simAddress = (i: number): string =>
  `127.0.${40 + Math.floor(i / 250)}.${(i % 250) + 1}`;

/** Endpoint e of service s, in 198.18.0.0/15 (RFC 2544). */
export const endpointIp = (s: number, e: number): string =>
  `198.18.${Math.floor(s / 25)}.${(s % 25) * 10 + e + 1}`;

/** Change c (1…150) moves endpoint 0 of service s to an address no other change uses. */
export const movedIp = (s: number, c: number): string => `198.19.${100 + c}.${(s % 250) + 1}`;

export async function createSimPods(
  cluster: TestCluster,
  serviceAccount: string,
  count: number,
): Promise<void> {
  await inBatches('sim pods', count, 16, (i) =>
    cluster
      .pod({ name: `sim-${i}`, serviceAccount, ip: simAddress(i), labels: { app: 'sim' } })
      .then(() => undefined),
  );
}

export function sliceFor(
  cluster: TestCluster,
  endpoints: number,
): (s: number, change?: number) => Promise<void> {
  return (s, change = 0) =>
    cluster.slice(
      `svc-${s}`,
      Array.from({ length: endpoints }, (_, e) => ({
        ip: e === 0 && change ? movedIp(s, change) : endpointIp(s, e),
      })),
    );
}

export async function createServices(
  cluster: TestCluster,
  services: number,
  endpoints: number,
): Promise<void> {
  const slice = sliceFor(cluster, endpoints);
  await inBatches('services + EndpointSlices', services, 16, async (s) => {
    await cluster.service(`svc-${s}`, {
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    await slice(s);
  });
}

/** One client certificate per sim (its pod's ServiceAccount identity), from the mesh's issuer. */
export async function simSpecs(
  authority: Authority,
  spiffeId: string,
  count: number,
): Promise<SimSpec[]> {
  const specs: SimSpec[] = new Array<SimSpec>(count);
  await inBatches('sim certificates', count, 8, async (i) => {
    const credential = await meshLeaf(authority, { uri: spiffeId });
    specs[i] = { index: i, address: simAddress(i), ...credential };
  });
  return specs;
}
