// End to end: TrafficPolicies applied by a real client sidecar in a network-
// namespace pod, from a mesh file (the shape discovery streams), against real
// server sidecars and apps: an abort at 50 %, an endpoint answering 5xx ejected
// and readmitted, the connection pool answering 503 UO under a burst, a backend
// failing one request in three made invisible by the default retries, and the
// retry budget capping retries to a backend that always fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { startMesh } from '../support/mesh-fixture.js';
import type { MeshFixture, MeshPod } from '../support/mesh-fixture.js';

interface Result {
  status: number;
  pod?: string;
  error?: string;
}
interface Results {
  results: Result[];
}

/** One Service per behaviour, each on its own virtual address (TEST-NET-3). */
const VIP = {
  abort: '203.0.113.31',
  eject: '203.0.113.32',
  pool: '203.0.113.33',
  flaky: '203.0.113.34',
  down: '203.0.113.35',
} as const;
type Name = keyof typeof VIP;

const policy = (namespace: string, name: Name, spec: Record<string, unknown>) => ({
  namespace,
  name,
  creationTimestamp: '2026-01-01T00:00:00Z',
  generation: 1,
  spec: { targetRefs: [{ group: '', kind: 'Service', name: `echo-${name}` }], ...spec },
});

describe('sidecar TrafficPolicy (resilience)', { timeout: 240_000 }, () => {
  let mesh: MeshFixture;
  const seenBy = (pod: MeshPod, marker: string): number =>
    pod.app.output.filter((l) => l.includes(marker)).length;
  /** The client sidecar's istio_requests_total over samples whose labels hold every `match`. */
  const requestsWith = async (...match: string[]): Promise<number> => {
    const text = await (await fetch(`http://${mesh.client.pod.ip}:15020/stats/prometheus`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('istio_requests_total{'))
      .filter((l) => match.every((m) => l.includes(m)))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  before(async () => {
    mesh = await startMesh({ servers: 3 });
    const ips = mesh.servers.map((p) => p.pod.ip);
    const id = mesh.spiffe('echo');
    const service = (name: Name, endpoints: string[]) => ({
      name: `echo-${name}`,
      namespace: mesh.namespace,
      addresses: [VIP[name]],
      ports: [{ port: 80, targetPort: 8080, name: 'http' }],
      endpoints: endpoints.map((address) => ({ address, identity: id, workload: 'echo' })),
    });
    const ns = mesh.namespace;
    mesh.writeConfig((c) => {
      Object.assign(c, {
        services: [
          ...c.services,
          service('abort', [ips[0]!]),
          service('eject', [ips[0]!, ips[1]!]),
          service('pool', [ips[0]!]),
          service('flaky', [ips[2]!]),
          service('down', [ips[2]!]),
        ],
        trafficPolicies: [
          policy(ns, 'abort', { fault: { abort: { httpStatus: 500, percentage: 50 } } }),
          policy(ns, 'eject', {
            outlierDetection: {
              consecutive5xxErrors: 3,
              interval: '500ms',
              baseEjectionTime: '3s',
            },
            retries: { attempts: 0 },
          }),
          policy(ns, 'pool', {
            connectionPool: { maxConnections: 1, http1MaxPendingRequests: 1 },
            retries: { attempts: 0 },
          }),
          // echo-flaky has none: Istio's default retries apply.
          policy(ns, 'down', { retryBudget: { ratio: 0.2, minRetriesPerSecond: 1, ttl: '10s' } }),
        ],
      });
    });
    // The sidecars poll the file every second: wait until the abort policy is in force.
    await eventually(
      'the client sidecar to apply the policies',
      async () => {
        const r = await mesh.call<Results>('req', `http://${VIP.abort}/warm`, 10);
        return r.results.some((x) => x.status === 500) ? true : undefined;
      },
      20_000,
    );
  });
  after(async () => {
    await mesh?.stop();
  });

  it('aborts 50 % of requests within 4.5 binomial standard deviations over 400, flagged FI', async (t) => {
    const before = await requestsWith('response_flags="FI"');
    const n = 400;
    const r = await mesh.call<Results>('req', `http://${VIP.abort}/abort`, n);
    const aborted = r.results.filter((x) => x.status === 500).length;
    const ok = r.results.filter((x) => x.status === 200).length;
    assert.equal(aborted + ok, n);
    // σ = √(n·p·(1−p)) = 10: [155, 245] fails a correct 50 % about once in 150 000 runs.
    t.diagnostic(`aborted ${aborted} of ${n}`);
    assert.ok(Math.abs(aborted - n / 2) <= 4.5 * Math.sqrt(n * 0.25), `aborted ${aborted}`);
    // The aborted ones never left the client's sidecar, and its metrics flag them FI.
    assert.equal(seenBy(mesh.servers[0]!, '"/abort"'), ok);
    await eventually(
      'the FI flag in istio_requests_total',
      async () =>
        (await requestsWith('response_flags="FI"')) - before === aborted ? true : undefined,
      5_000,
    );
  });

  it('ejects an endpoint that answers 5xx, then readmits it after the ejection time', async () => {
    const r = await mesh.call<Results>('req', `http://${VIP.eject}/fail-on-echo-1/x`, 12);
    // Round robin: echo-1 fails its third request by the sixth, and is ejected then.
    const after = r.results.slice(6);
    assert.deepEqual(
      after.map((x) => [x.status, x.pod]),
      after.map(() => [200, 'echo-2']),
    );
    assert.equal(r.results.filter((x) => x.status === 503).length, 3);
    // Ejected whatever the request: a healthy path goes to echo-2 alone too.
    const plain = await mesh.call<Results>('req', `http://${VIP.eject}/plain`, 6);
    assert.deepEqual(new Set(plain.results.map((x) => x.pod)), new Set(['echo-2']));
    assert.ok(mesh.client.sidecar.output.some((l) => l.includes('outlier ejected')));
    // 3 s later, at the next 500 ms sweep, echo-1 is back.
    await eventually(
      'echo-1 to be readmitted',
      async () => {
        const back = await mesh.call<Results>('req', `http://${VIP.eject}/plain`, 4);
        return back.results.some((x) => x.pod === 'echo-1') ? true : undefined;
      },
      10_000,
    );
  });

  it('answers 503 UO past the connection-pool limits under a burst', async () => {
    const n = 10;
    const r = await mesh.call<Results>('burst', `http://${VIP.pool}/slow`, n);
    const ok = r.results.filter((x) => x.status === 200).length;
    const overflow = r.results.filter((x) => x.status === 503 && x.error === 'upstream_overflow');
    // One request in flight on the one connection, one waiting for it, the rest refused.
    assert.ok(ok >= 1 && ok <= 2, JSON.stringify(r.results));
    assert.equal(overflow.length, n - ok, JSON.stringify(r.results));
    assert.equal(seenBy(mesh.servers[0]!, '"/slow"'), ok);
    const flagged = await requestsWith(
      'destination_service_name="echo-pool"',
      'response_flags="UO"',
    );
    assert.equal(flagged, overflow.length);
  });

  it("makes a backend that fails one request in three invisible with Istio's default retries", async () => {
    const flaky = mesh.servers[2]!;
    const before = seenBy(flaky, '"/flaky');
    const r = await mesh.call<Results>('req', `http://${VIP.flaky}/flaky`, 60);
    assert.deepEqual(new Set(r.results.map((x) => x.status)), new Set([200]));
    // Every third answer was a 503 the sidecar retried: the app saw at least 80 requests.
    assert.ok(seenBy(flaky, '"/flaky') - before >= 80);
  });

  it('caps retries with the budget when the backend fails always', async () => {
    const down = mesh.servers[2]!;
    const n = 100;
    const r = await mesh.call<Results>('req', `http://${VIP.down}/fail/budget`, n);
    assert.deepEqual(new Set(r.results.map((x) => x.status)), new Set([503]));
    // Two retries each would be 300 tries; the budget allows 1/s × 10 s + 20 % of 100 = 30.
    const tries = seenBy(down, '"/fail/budget"');
    assert.ok(tries >= n + 10 && tries <= n + 32, `${tries} tries for ${n} requests`);
    const refused = await requestsWith(
      'destination_service_name="echo-down"',
      'response_flags="UO"',
    );
    assert.ok(refused >= n - 32, `${refused} requests flagged UO`);
  });
});
