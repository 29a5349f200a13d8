// End to end with discovery instead of a mesh file: pods as network namespaces
// (weft-init's iptables, the test app, `weft sidecar` as UID 1337) that learn
// the mesh only from discovery running against the real API server, where the
// same pods, a Service and its EndpointSlice exist. Real mTLS traffic follows.
// The sidecars are scoped: they get the catalog, and a service's endpoints only
// once they call it (docs/discovery.md, "Scoping").
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/cluster.js';
import { DiscoveryMesh } from '../support/discovery-mesh.js';
import { CLIENT, ECHO_VIP } from '../support/mesh-fixture.js';

interface Many {
  results: { status: number; pod?: string; xfcc?: string; error?: string }[];
}

interface First {
  results: { url: string; status: number[]; firstMs: number; warmMs: number }[];
}

/** Services that only the first-request measurement calls, each with its own VIP. */
const FIRST = 50;
const firstVip = (i: number): string => `203.0.113.${100 + i}`;
const OTHER_VIP = '203.0.113.11';
const WAIT_MS = 2000;
const IDLE_SECONDS = 15;

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};

/** A metric scraped from a sidecar's :15020, summed over the series whose line has `labels`. */
async function scrape(ip: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://${ip}:15020/stats/prometheus`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const PODS = [
  { name: 'client', serviceAccount: 'client' },
  { name: 'echo-1', serviceAccount: 'echo' },
  { name: 'echo-2', serviceAccount: 'echo' },
];

describe('mesh from discovery', { timeout: 420_000 }, () => {
  let mesh: DiscoveryMesh;
  let ns: string;
  let cluster: DiscoveryMesh['cluster'];
  let pods: DiscoveryMesh['pods'];
  let sidecars: DiscoveryMesh['sidecars'];
  const spiffe = (sa: string): string => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  const call = (...args: (string | number)[]): Promise<Many> =>
    mesh.run(pods.client!, CLIENT, args) as Promise<Many>;
  const clientMetric = (name: string, labels = ''): Promise<number> =>
    scrape(pods.client!.ip, name, labels);
  /** The view the client's sidecar holds (its admin endpoint, loopback in its pod). */
  const clientView = (): { services: { name: string; endpoints: { address: string }[] }[] } => {
    const js =
      "fetch('http://127.0.0.1:15000/config_dump').then(r=>r.text()).then(t=>process.stdout.write(t))";
    return JSON.parse(pods.client!.exec(['node', '-e', js])) as ReturnType<typeof clientView>;
  };
  const endpointsHeld = (service: string): string[] | undefined =>
    clientView()
      .services.find((x) => x.name === service)
      ?.endpoints.map((e) => e.address)
      .sort();

  before(async () => {
    mesh = await DiscoveryMesh.start('dmesh', PODS);
    ({ ns, cluster, pods, sidecars } = mesh);
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
    });
    const echoes = [
      { pod: 'echo-1', ip: pods['echo-1']!.ip },
      { pod: 'echo-2', ip: pods['echo-2']!.ip },
    ];
    await cluster.slice('echo', echoes);
    // The client backs a Service too, so a destination reporter can name it (pod/<ip>).
    await cluster.service('client', {
      selector: { app: 'client' },
      ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('client', [{ pod: 'client', ip: pods.client!.ip }]);
    const extra = [
      ['other', OTHER_VIP],
      ...Array.from({ length: FIRST }, (_, i) => [`first-${i}`, firstVip(i)]),
    ] as const;
    for (let i = 0; i < extra.length; i += 10) {
      await Promise.all(
        extra.slice(i, i + 10).map(async ([name, vip]) => {
          await cluster.service(name, {
            selector: { app: 'echo' },
            externalIPs: [vip],
            ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
          });
          await cluster.slice(name, echoes);
        }),
      );
    }
    await mesh.startDiscovery();
    await mesh.meshPods(PODS, [
      ...['--discovery-wait-ms', String(WAIT_MS)],
      ...['--discovery-idle-seconds', String(IDLE_SECONDS)],
    ]);
    pods.client!.setHosts({ echo: ECHO_VIP, [`echo.${ns}.svc.cluster.local`]: ECHO_VIP });
  });

  after(async () => {
    await mesh?.stop();
  });

  it('gives a sidecar the catalog but no endpoints of a service it never called', async () => {
    // Only its own Service's endpoint (client backs `client`), held unasked.
    assert.equal(await clientMetric('weft_sidecar_discovery_endpoints'), 1);
    assert.deepEqual(endpointsHeld('client'), [pods.client!.ip]);
    assert.equal(await clientMetric('weft_sidecar_discovery_subscriptions'), 0);
    assert.deepEqual(endpointsHeld('echo'), [], 'echo is in the catalog, without endpoints');
    assert.deepEqual(endpointsHeld('first-0'), []);
  });

  it('carries mTLS with both identities between pods, to the endpoints discovery streamed', async () => {
    const r = await call('http', 'http://echo/hello', 10);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      assert.match(x.xfcc!, new RegExp(`^By=${spiffe('echo')};.*URI=${spiffe('client')}$`));
    }
    assert.deepEqual([...new Set(r.results.map((x) => x.pod))].sort(), ['echo-1', 'echo-2']);
    // Subscribed on that first call: exactly echo's ready endpoints, nothing else.
    assert.deepEqual(endpointsHeld('echo'), [pods['echo-1']!.ip, pods['echo-2']!.ip].sort());
    assert.equal(await clientMetric('weft_sidecar_discovery_endpoints'), 3, "echo's 2 + its own 1");
    assert.deepEqual(endpointsHeld('first-0'), []);
    // The journey's step 7 in small: each echo's destination reporter named the caller
    // (learnt by pod/<ip> on demand) on every request, the first ones included, and
    // the Service.
    for (const echo of ['echo-1', 'echo-2']) {
      const served = r.results.filter((x) => x.pod === echo).length;
      const ip = pods[echo]!.ip;
      const by = (workload: string): Promise<number> =>
        scrape(ip, 'istio_requests_total', `source_workload="${workload}"`);
      assert.equal(await by('unknown'), 0, `${echo}: no request from an unknown caller`);
      assert.equal(
        await scrape(ip, 'istio_requests_total', 'reporter="destination"'),
        served,
        `${echo} counted each request it served`,
      );
      // …and a Service it came in on (echo's pods back 52 Services on that port here, so
      // which one is named is not fixed): never PassthroughCluster, as without its own.
      assert.equal(
        await scrape(ip, 'istio_requests_total', 'destination_service_name="PassthroughCluster"'),
        0,
        `${echo} named a Service (it never called one)`,
      );
    }
  });

  it('follows an EndpointSlice change', async () => {
    const started = Date.now();
    await cluster.slice('echo', [{ pod: 'echo-2', ip: pods['echo-2']!.ip }]);
    await eventually('traffic to follow the slice', async () => {
      const r = await call('http', 'http://echo/follow', 4);
      return r.results.every((x) => x.status === 200 && x.pod === 'echo-2') ? true : undefined;
    });
    assert.ok(Date.now() - started < 15_000);
    assert.deepEqual(endpointsHeld('echo'), [pods['echo-2']!.ip]);
  });

  it(`measures the first request to ${FIRST} services not yet subscribed`, async () => {
    const r = (await mesh.run(pods.client!, CLIENT, [
      'first',
      ...Array.from({ length: FIRST }, (_, i) => `http://${firstVip(i)}/`),
    ])) as First;
    for (const x of r.results) assert.deepEqual(x.status, [200, 200], JSON.stringify(x));
    const firstMs = r.results.map((x) => x.firstMs);
    const warmMs = r.results.map((x) => x.warmMs);
    const ready = 'kind="endpoints",outcome="ready"';
    const waits = await clientMetric('weft_sidecar_discovery_wait_seconds_count', ready);
    const waited = await clientMetric('weft_sidecar_discovery_wait_seconds_sum', ready);
    const fmt = (xs: number[]): string =>
      `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms`;
    console.log(
      `first request (subscribe, wait, connect): ${fmt(firstMs)}; warm: ${fmt(warmMs)}; ` +
        `sidecar wait for endpoints: mean ${((waited / waits) * 1000).toFixed(1)} ms over ${waits}`,
    );
    assert.ok(waits >= FIRST, `${waits} waits recorded`);
    assert.ok(quantile(firstMs, 0.99) < WAIT_MS, 'no first request ran into the bound');
  });

  it('drops the endpoints of services unused for the idle time', async () => {
    // Each first-* was last used during the measurement above, within a few seconds.
    const held = (): string[] =>
      clientView()
        .services.filter((x) => x.name.startsWith('first-') && x.endpoints.length)
        .map((x) => x.name);
    await eventually(
      'every first-* service to be unsubscribed',
      () => Promise.resolve(held().length === 0 ? true : undefined),
      (IDLE_SECONDS + 30) * 1000,
    );
    assert.equal(clientView().services.filter((x) => x.name.startsWith('first-')).length, FIRST);
  });

  it('keeps serving on the last view while discovery is down; a new service fails closed', async () => {
    await call('http', 'http://echo/up', 1); // held (again, if it was idle)
    await mesh.discovery!.stop();
    mesh.discovery = undefined;
    const r = await call('http', 'http://echo/down', 4);
    assert.deepEqual(
      r.results.map((x) => [x.status, x.pod]),
      Array.from({ length: 4 }, () => [200, 'echo-2']),
    );
    // A service never called: its endpoints cannot arrive; the request waits out the bound
    // and gets a named 503, never a plaintext or unchecked connection.
    const started = Date.now();
    const other = await call('http', `http://${OTHER_VIP}/never`, 1);
    assert.deepEqual(
      other.results.map((x) => [x.status, x.error]),
      [[503, 'endpoints_pending']],
    );
    assert.ok(Date.now() - started >= WAIT_MS);
    assert.equal(
      await clientMetric('weft_sidecar_discovery_wait_seconds_count', 'outcome="timeout"'),
      1,
    );
    assert.ok(
      sidecars.client!.output.some((l) => l.includes('did not answer a subscription in time')),
    );
    await eventually('the client sidecar to notice', () =>
      Promise.resolve(
        sidecars.client!.output.some((l) => l.includes('discovery stream ended'))
          ? true
          : undefined,
      ),
    );
  });
});
