// End to end: Gateway API routes (GAMMA) applied by real client sidecars in
// network-namespace pods, from a mesh file carrying an HTTPRoute on `echo`. The
// client app calls http://echo/...; its sidecar matches the rule, rewrites,
// redirects, splits, mirrors, times out and retries; the apps show what arrived.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { startMesh } from '../support/mesh-fixture.js';
import type { MeshFixture, MeshPod } from '../support/mesh-fixture.js';

interface Result {
  status: number;
  pod?: string;
  url?: string;
  host?: string;
  location?: string;
  error?: string;
  ms: number;
}
interface Results {
  results: Result[];
}

const to = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
});
const prefix = (value: string) => [{ path: { type: 'PathPrefix', value } }];

/** A namespace the route's own is not (with --require-reference-grant, its Services need a grant). */
const FAR = 'far-away';
const far = (name: string, weight?: number) => ({ ...to(name, weight), namespace: FAR });

/** The route on echo:80 every test below exercises, one rule each. */
function echoRoute(namespace: string) {
  return {
    kind: 'HTTPRoute' as const,
    namespace,
    name: 'echo',
    creationTimestamp: '2026-01-01T00:00:00Z',
    generation: 1,
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
      rules: [
        {
          name: 'canary',
          matches: [{ headers: [{ name: 'x-version', value: 'v2' }] }],
          backendRefs: [to('echo-v2')],
        },
        {
          name: 'split',
          matches: prefix('/split'),
          backendRefs: [to('echo-v1', 90), to('echo-v2', 10)],
        },
        {
          name: 'mirror',
          matches: prefix('/mirror'),
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: to('echo-shadow') } }],
          backendRefs: [to('echo-v1')],
        },
        {
          name: 'rewrite',
          matches: prefix('/old'),
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' } },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
        {
          name: 'redirect',
          matches: prefix('/moved'),
          filters: [
            {
              type: 'RequestRedirect',
              requestRedirect: { hostname: 'moved.example', statusCode: 301 },
            },
          ],
        },
        {
          name: 'slow',
          matches: prefix('/slow'),
          backendRefs: [to('echo-v1')],
          timeouts: { request: '300ms' },
        },
        {
          name: 'flaky',
          matches: prefix('/flaky'),
          backendRefs: [to('echo-flaky')],
          retry: { attempts: 2, codes: [503], backoff: '10ms' },
        },
        { name: 'unprotected', matches: prefix('/flaky-bare'), backendRefs: [to('echo-flaky')] },
        {
          name: 'cross',
          matches: prefix('/cross'),
          backendRefs: [to('echo-v1', 50), far('echo-far', 50)],
        },
        { name: 'granted', matches: prefix('/granted'), backendRefs: [far('echo-far-ok')] },
        { name: 'default', backendRefs: [to('echo-v1')] },
      ],
    },
    // As discovery streams it with --require-reference-grant and no grant in FAR for echo-far.
    refusedBackends: [`${FAR}/echo-far`],
  };
}

/** A GRPCRoute on echo's gRPC port: the Echo service's Say method goes to v2. */
function grpcRoute(namespace: string) {
  return {
    kind: 'GRPCRoute' as const,
    namespace,
    name: 'echo-grpc',
    creationTimestamp: '2026-01-01T00:00:00Z',
    generation: 1,
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 9090 }],
      rules: [
        {
          matches: [{ method: { service: 'weft.Echo', method: 'Say' } }],
          backendRefs: [{ name: 'echo-v2', port: 9090 }],
        },
      ],
    },
  };
}

describe('sidecar mesh routes (Gateway API)', { timeout: 240_000 }, () => {
  let mesh: MeshFixture;
  const seenBy = (pod: MeshPod, marker: string): number =>
    pod.app.output.filter((l) => l.includes(marker)).length;

  before(async () => {
    mesh = await startMesh({ servers: 4 });
    const [v1, v2, shadow, flaky] = mesh.servers.map((p) => p.pod.ip);
    const id = mesh.spiffe('echo');
    const backend = (name: string, ip: string) => ({
      name,
      namespace: mesh.namespace,
      ports: [
        { port: 80, targetPort: 8080, name: 'http' },
        { port: 9090, name: 'grpc' },
      ],
      endpoints: [{ address: ip, identity: id, workload: name }],
    });
    mesh.writeConfig((c) => {
      const extra = [
        backend('echo-v1', v1!),
        backend('echo-v2', v2!),
        backend('echo-shadow', shadow!),
        backend('echo-flaky', flaky!),
        // Both on v2's pod: a request that reaches it shows there.
        { ...backend('echo-far', v2!), namespace: FAR },
        { ...backend('echo-far-ok', v2!), namespace: FAR },
      ];
      Object.assign(c, {
        services: [...c.services, ...extra],
        routes: [echoRoute(mesh.namespace), grpcRoute(mesh.namespace)],
        // Istio's default retries would hide the flaky backend from the rule without a
        // retry (the control below): turned off for it, so only the route's retry acts.
        trafficPolicies: [
          {
            namespace: mesh.namespace,
            name: 'echo-flaky',
            creationTimestamp: '2026-01-01T00:00:00Z',
            generation: 1,
            spec: {
              targetRefs: [{ group: '', kind: 'Service', name: 'echo-flaky' }],
              retries: { attempts: 0 },
            },
          },
        ],
      });
    });
    // The sidecars poll the file every second: wait until the canary rule routes. Eight
    // in a row: without the route, echo balances over four pods, so one request would
    // land on echo-2 by chance one time in four (CI once started the tests that early).
    await eventually(
      'the client sidecar to apply the routes',
      async () => {
        const r = await mesh.call<Results>('req', 'http://echo/', 8, '{"x-version":"v2"}');
        return r.results.every((x) => x.pod === 'echo-2') ? true : undefined;
      },
      20_000,
    );
  });
  after(async () => {
    await mesh?.stop();
  });

  it('routes on a header to v2 and everything else to v1', async () => {
    const v2 = await mesh.call<Results>('req', 'http://echo/h', 5, '{"x-version":"v2"}');
    const v1 = await mesh.call<Results>('req', 'http://echo/h', 5, '{"x-version":"v3"}');
    assert.deepEqual(new Set(v2.results.map((r) => r.pod)), new Set(['echo-2']));
    assert.deepEqual(new Set(v1.results.map((r) => r.pod)), new Set(['echo-1']));
  });

  it('splits 90/10 within 4.5 binomial standard deviations over 1000 requests', async (t) => {
    const n = 1000;
    const r = await mesh.call<Results>('req', 'http://echo/split', n);
    assert.equal(r.results.filter((x) => x.status === 200).length, n);
    const v2 = r.results.filter((x) => x.pod === 'echo-2').length;
    const v1 = r.results.filter((x) => x.pod === 'echo-1').length;
    assert.equal(v1 + v2, n);
    // n·p = 100, σ = √(n·p·(1−p)) ≈ 9.49: [57, 143] fails a correct split about once in 150 000 runs.
    const sigma = Math.sqrt(n * 0.1 * 0.9);
    t.diagnostic(`v1 ${v1}, v2 ${v2} of ${n}`);
    assert.ok(Math.abs(v2 - n * 0.1) <= 4.5 * sigma, `v2 got ${v2} of ${n}`);
    // Istio's metrics name the backend Service actually used.
    const toV2 = await mesh.metric(
      mesh.client,
      'istio_requests_total',
      'destination_service_name="echo-v2"',
    );
    assert.ok(toV2 >= v2, `istio_requests_total to echo-v2: ${toV2}`);
  });

  it('mirrors a copy to the shadow backend without changing the response', async () => {
    const marker = `/mirror/${Date.now()}`;
    const r = await mesh.call<Results>('req', `http://echo${marker}`, 1);
    assert.equal(r.results[0]?.status, 200);
    assert.equal(r.results[0]?.pod, 'echo-1');
    const shadow = mesh.servers[2]!;
    await eventually(
      'the shadow backend to see the copy',
      () => Promise.resolve(seenBy(shadow, marker) === 1 ? true : undefined),
      10_000,
    );
  });

  it('rewrites the path the app sees', async () => {
    const r = await mesh.call<Results>('req', 'http://echo/old/thing?q=1', 1);
    assert.equal(r.results[0]?.status, 200);
    assert.equal(r.results[0]?.url, '/new/thing?q=1');
  });

  it('answers a redirect in the client sidecar', async () => {
    const before = mesh.servers.reduce((n, p) => n + seenBy(p, '/moved'), 0);
    const r = await mesh.call<Results>('req', 'http://echo/moved/here?x=1', 1);
    assert.equal(r.results[0]?.status, 301);
    assert.equal(r.results[0]?.location, 'http://moved.example/moved/here?x=1');
    assert.equal(
      mesh.servers.reduce((n, p) => n + seenBy(p, '/moved'), 0),
      before,
    );
  });

  it('answers 504 (upstream_timeout) when the request timeout passes', async () => {
    const r = await mesh.call<Results>('req', 'http://echo/slow', 1);
    assert.equal(r.results[0]?.status, 504);
    assert.equal(r.results[0]?.error, 'upstream_timeout');
    assert.ok(r.results[0].ms < 1500, `took ${r.results[0].ms} ms`);
  });

  it('routes gRPC (h2) by service and method through a GRPCRoute', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await mesh.call<{ status: number; grpcStatus: string; pod: string; body: string }>(
        'h2',
        'http://echo:9090',
      );
      assert.deepEqual(
        [r.status, r.grpcStatus, r.pod, r.body],
        [200, '0', 'echo-2', 'echo-2:ping'],
      );
    }
  });

  it('makes a backend that fails one request in three invisible with retries', async () => {
    const flaky = mesh.servers[3]!;
    // The control: without retries, the same backend's failures reach the client.
    const bare = await mesh.call<Results>('req', 'http://echo/flaky-bare', 30);
    assert.ok(bare.results.filter((x) => x.status === 503).length >= 9);
    const before = seenBy(flaky, '"/flaky');
    const r = await mesh.call<Results>('req', 'http://echo/flaky', 60);
    assert.deepEqual(new Set(r.results.map((x) => x.status)), new Set([200]));
    // Every third answer was a 503 the sidecar retried: the app saw at least 80 requests.
    assert.ok(seenBy(flaky, '"/flaky') - before >= 80);
  });

  it('answers 500 for the share a refused cross-namespace backend would get; it gets nothing', async (t) => {
    const v2 = mesh.servers[1]!;
    // The control: a cross-namespace backend that is not refused gets traffic.
    const granted = await mesh.call<Results>('req', 'http://echo/granted', 1);
    assert.deepEqual([granted.results[0]?.status, granted.results[0]?.pod], [200, 'echo-2']);
    const before = seenBy(v2, '/cross');
    const n = 200;
    const r = await mesh.call<Results>('req', 'http://echo/cross', n);
    const ok = r.results.filter((x) => x.status === 200);
    const refused = r.results.filter((x) => x.status === 500).length;
    t.diagnostic(`${ok.length} answered by echo-v1, ${refused} refused (500) of ${n}`);
    assert.equal(ok.length + refused, n);
    assert.deepEqual(new Set(ok.map((x) => x.pod)), new Set(['echo-1']));
    // p = 0.5: σ ≈ 7.1, so 4.5σ is ±32.
    assert.ok(Math.abs(refused - n / 2) <= 4.5 * Math.sqrt(n / 4), `${refused} of ${n} refused`);
    assert.equal(seenBy(v2, '/cross'), before, 'the refused backend saw nothing');
  });
});
