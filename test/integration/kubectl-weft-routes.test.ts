// `kubectl weft routes` and `kubectl weft route-check` against a real API server
// with the Gateway API CRDs, run as a user runs them (the built plugin through the
// real kubectl). The shop of test/support/route-fixture.ts (producer and consumer
// routes, a weighted split, a redirect, a rewrite, a mirror, a GRPCRoute, a rule
// weft drops, a route weft cannot apply) is created for real, a status written on
// one route as the control plane would, and the output must be exactly what the
// unit tests pin for the same objects. Then every row of the route table
// (src/routes/cases.ts) that a cluster can hold is created in namespaces of its
// own and asked of the real CLI: its answer must be the table's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { RouteCheckView } from '../../cli/plugin/route-check-model.js';
import { routeCheck } from '../../cli/plugin/route-check-model.js';
import { parseRequest } from '../../cli/plugin/route-check-request.js';
import { routesView } from '../../cli/plugin/routes-model.js';
import { renderRoutes } from '../../cli/plugin/routes-render.js';
import { renderTraffic, trafficView } from '../../cli/plugin/traffic-policies.js';
import { ROUTE_CASES } from '../../src/routes/cases.js';
import type { RouteCase } from '../../src/routes/cases.js';
import { GRPC_ROUTE, HTTP_ROUTE } from '../../src/routes/index.js';
import type { RouteObject } from '../../src/routes/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, uniqueName } from '../support/cluster.js';
import { installGatewayApi } from '../support/gateway-api.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';
import { asTableOutcome } from '../support/route-check-outcome.js';
import { REVIEWS_STATUS, SHOP, SHOP_ROUTES, SHOP_SERVICES, WEB } from '../support/route-fixture.js';

const RUN = uniqueName('x').slice(2);
/** A table row's namespace `ns` in the cluster: one set of namespaces per row. */
const nsOf = (row: number, ns: string): string => `t${row}-${ns}-${RUN}`;

const api = (kind: RouteObject['kind']) => (kind === 'HTTPRoute' ? HTTP_ROUTE : GRPC_ROUTE);

/** Renames every `namespace: X` in a spec to the row's X. */
function renamed(value: unknown, rename: (ns: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renamed(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === 'namespace' && typeof v === 'string' ? rename(v) : renamed(v, rename),
    ]),
  );
}

interface Created {
  metadata: { creationTimestamp: string; generation?: number };
}

/** Runs `fn` on every item, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The row's request as route-check flags: its caller, URL, method, Host and headers. */
function rowArgs(i: number, c: RouteCase): string[] {
  const { service, port, callerNamespace } = c.call;
  const headers = Object.entries(c.request.headers ?? {}).flatMap(([k, v]) =>
    (typeof v === 'string' ? [v] : v).flatMap((x) => ['-H', `${k}: ${x}`]),
  );
  const host = c.request.host ?? `${service.name}.${service.namespace}`;
  const hasHost = Object.keys(c.request.headers ?? {}).some((k) => k.toLowerCase() === 'host');
  return [
    ...['--from-namespace', nsOf(i, callerNamespace)],
    ...['--to', `http://${service.name}.${nsOf(i, service.namespace)}:${port}${c.request.path}`],
    ...['-X', c.request.method ?? 'GET'],
    ...(hasHost ? [] : ['-H', `host: ${host}`]),
    ...headers,
    ...['-o', 'json'],
  ];
}

describe(
  'kubectl weft routes and route-check (real API server, Gateway API CRDs)',
  {
    timeout: 900_000,
  },
  () => {
    let cp: ControlPlane;
    const env = pluginEnv();
    const weft = (args: readonly string[]) => kubectl(cp.kubeconfigPath, ['weft', ...args], env);
    /** Per table row: the routes as the API server stored them; absent: a route was refused. */
    const stored = new Map<number, RouteObject[]>();
    const refused: string[] = [];

    const create = async (r: RouteObject, namespace = r.namespace): Promise<RouteObject> => {
      const { group, version, plural } = api(r.kind);
      const body = {
        apiVersion: `${group}/${version}`,
        kind: r.kind,
        metadata: { name: r.name, namespace },
        spec: r.spec,
      };
      const got = (await cp.kubeConfig
        .makeApiClient(CustomObjectsApi)
        .createNamespacedCustomObject({ group, version, plural, namespace, body })) as Created;
      return {
        ...r,
        namespace,
        creationTimestamp: got.metadata.creationTimestamp,
        generation: got.metadata.generation,
      };
    };

    const service = async (namespace: string, name: string, ports: readonly number[]) => {
      await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespacedService({
        namespace,
        body: {
          metadata: { name },
          spec: { ports: ports.map((port) => ({ name: `p${port}`, port, targetPort: port })) },
        },
      });
    };

    before(async () => {
      cp = await startControlPlane();
      await installGatewayApi(cp.kubeconfigPath, 'experimental');
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      for (const ns of [SHOP, WEB]) await createNamespace(cp.kubeConfig, ns);
      for (const s of SHOP_SERVICES) {
        await core.createNamespacedService({
          namespace: SHOP,
          body: {
            metadata: { name: s.name },
            spec: { ports: s.ports.map((p) => ({ ...p, targetPort: p.port })) },
          },
        });
      }
      const pod = (name: string, annotations: Record<string, string>) =>
        core.createNamespacedPod({
          namespace: WEB,
          body: {
            metadata: { name, annotations },
            spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
          },
        });
      await pod('plain-1', {});
      await pod('meshed-1', { 'weft.dev/status': '{"version":"0.1.0"}' });
      for (const r of SHOP_ROUTES) await create(r);
      // The status a control plane writes (the CRD requires lastTransitionTime).
      const status = {
        parents: REVIEWS_STATUS.map((p) => ({
          ...p,
          conditions: p.conditions.map((c) => ({
            ...c,
            observedGeneration: 1,
            lastTransitionTime: '2026-12-01T00:00:00Z',
          })),
        })),
      };
      const patched = await kubectl(cp.kubeconfigPath, [
        ...['patch', 'httproute', 'reviews', '-n', SHOP, '--subresource=status'],
        ...['--type=merge', '-p', JSON.stringify({ status })],
      ]);
      assert.equal(patched.code, 0, patched.stderr);

      // The table: each row in namespaces of its own, all at once.
      const rows = ROUTE_CASES.map((c, i) => ({ c, i }));
      await inParallel(rows, 6, async ({ c, i }) => {
        const names = new Set([
          c.call.callerNamespace,
          c.call.service.namespace,
          ...c.routes.map((r) => r.namespace),
        ]);
        for (const ns of names) await createNamespace(cp.kubeConfig, nsOf(i, ns));
        await service(nsOf(i, c.call.service.namespace), c.call.service.name, [
          ...new Set([80, c.call.port]),
        ]);
        const made: RouteObject[] = [];
        for (const r of c.routes) {
          const spec = renamed(r.spec, (ns) => (names.has(ns) ? nsOf(i, ns) : ns));
          try {
            made.push(await create({ ...r, spec }, nsOf(i, r.namespace)));
          } catch {
            refused.push(c.name);
            return;
          }
        }
        stored.set(i, made);
      });
    });

    after(async () => {
      await cp?.stop();
    });

    const fixture = SHOP_ROUTES.map((object) => ({
      object,
      status: object.name === 'reviews' ? REVIEWS_STATUS : [],
    }));
    const NO_TP_CRD = "trafficpolicies.weft.dev is not installed: weft's defaults apply";
    const reviews = {
      namespace: SHOP,
      name: 'reviews',
      ports: SHOP_SERVICES[0].ports.map((p) => ({ ...p })),
    };

    it('routes SVC -n NS: exactly the unit-tested text for the same objects; exit 1 (a rule dropped, a route not applied)', async () => {
      const r = await weft(['routes', 'reviews', '-n', SHOP]);
      assert.equal(r.code, 1, r.stderr);
      const view = routesView({ service: reviews, routes: fixture });
      // This cluster has no TrafficPolicy CRD: weft's defaults, and a note saying why.
      assert.equal(
        r.stdout,
        `${renderRoutes({ ...view, notes: [...view.notes, NO_TP_CRD] })}\n${renderTraffic('shop/reviews', trafficView(reviews, []))}`,
      );
      assert.match(
        r.stdout,
        /^3 {3}shop\/reviews {3}1 {10}PathPrefix \/ +- +shop\/reviews-v1:9080 90%, shop\/reviews-v2:9080 10% {3}request 2s; backendRequest 500ms; retry 2 on 503 backoff 25ms$/m,
      );
      assert.match(
        r.stdout,
        /status \(weft\.dev\/mesh port 9080\): Accepted=True Accepted: attached to Service shop\/reviews; ResolvedRefs=True ResolvedRefs: all references resolved/,
      );
    });

    it('routes NS/SVC --from-namespace --port -o json: the consumer group, in the documented shape', async () => {
      const r = await weft([
        ...['routes', `${SHOP}/reviews`, '--from-namespace', WEB, '--port', '9080', '-o', 'json'],
      ]);
      assert.equal(r.code, 1, r.stderr);
      const want = routesView({
        service: reviews,
        routes: fixture,
        callerNamespace: WEB,
        port: 9080,
      });
      const full = {
        ...want,
        notes: [...want.notes, NO_TP_CRD],
        traffic: trafficView(reviews, []),
      };
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(JSON.stringify(full)));
      const got = JSON.parse(r.stdout) as typeof want;
      assert.deepEqual(got.ports[0]!.applies, {
        kind: 'HTTPRoute',
        scope: 'consumer',
        namespace: WEB,
      });
      assert.deepEqual(
        got.ports[0]!.lines.map((l) => [l.route, l.matches]),
        [['web/reviews-web', 'PathPrefix /api, GET']],
      );
    });

    it('route-check: a weighted split listed with probabilities, the backend-level header, timeouts, retry', async () => {
      const r = await weft([
        ...['route-check', '--from', `${WEB}/meshed-1`],
        ...['--to', 'http://reviews.shop:9090/x?y=1'],
      ]);
      // 9090 carries only the GRPCRoute, which matches no /x: 404, exit 1.
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /Answer: {4}404: routes attach to the Service but no rule matches/);
      const split = await weft([
        ...['route-check', '--from', `${SHOP}/nope`, '--to', 'http://reviews.shop:9080/x?y=1'],
      ]);
      assert.equal(split.code, 5, split.stderr);
      assert.equal(split.stderr, 'kubectl weft: not found: pods "nope" not found\n');
      const ok = await weft([
        ...['route-check', '--from-namespace', SHOP, '--to', 'http://reviews.shop:9080/x?y=1'],
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(
        ok.stdout,
        [
          'Request:   GET http://reviews.shop:9080/x?y=1 (Host: reviews.shop:9080)',
          'From:      namespace shop',
          'Routes:    producer HTTPRoutes of shop: shop/legacy, shop/reviews',
          'Matched:   HTTPRoute shop/reviews rule 1, match 0: PathPrefix /',
          'Answer:    forwarded',
          'Target:    /x?y=1',
          'Backends:  shop/reviews-v1:9080  90% (weight 90)',
          '           shop/reviews-v2:9080  10% (weight 10)  x-variant: v2',
          'Timeouts:  request 2s, backendRequest 500ms',
          'Retry:     2 attempts on 503, backoff 25ms',
          '',
        ].join('\n'),
      );
    });

    it('route-check: a consumer rewrite and mirror; a redirect; a pod without sidecar noted', async () => {
      const rewrite = await weft([
        ...[
          'route-check',
          '--from',
          `${WEB}/plain-1`,
          '--to',
          'http://reviews.shop:9080/api/a?y=1',
        ],
        ...['-o', 'json'],
      ]);
      assert.equal(rewrite.code, 0, rewrite.stderr);
      const got = JSON.parse(rewrite.stdout) as RouteCheckView & { notes: string[] };
      const want = routeCheck({
        caller: { namespace: WEB, pod: 'plain-1' },
        request: parseRequest('http://reviews.shop:9080/api/a?y=1', undefined, {}),
        routes: fixture,
      });
      assert.deepEqual(got, {
        ...JSON.parse(JSON.stringify(want)),
        notes: [
          'pod web/plain-1 has no weft sidecar: its requests are not routed by weft (this is what a meshed pod in web would get)',
        ],
      });
      assert.deepEqual(
        [got.outcome, got.target, got.host, got.mirrors],
        [
          'forward',
          '/v2/a?y=1',
          'reviews-v2.shop',
          [{ backend: 'shop/shadow:80', probability: 0.5 }],
        ],
      );
      const moved = await weft([
        ...['route-check', '--from-namespace', 'elsewhere', '--to', 'http://reviews.shop:9080/old'],
        ...['-H', 'Host: reviews'],
      ]);
      assert.equal(moved.code, 0, moved.stderr);
      assert.match(
        moved.stdout,
        /^Answer: {4}301 redirect\nLocation: {2}https:\/\/reviews\.example\/new$/m,
      );
    });

    it('route-check gRPC, no route, and the refusals: exit 2 on a bad flag, 5 on no such Service or port', async () => {
      const grpc = await weft([
        ...[
          'route-check',
          '--from-namespace',
          SHOP,
          '--to',
          'grpc://reviews.shop:9090/shop.Reviews/Get',
        ],
      ]);
      assert.equal(grpc.code, 0, grpc.stderr);
      assert.match(
        grpc.stdout,
        /Matched: {3}GRPCRoute shop\/reviews-grpc rule 0, match 0: shop\.Reviews\/Get\nAnswer: {4}forwarded\nTarget: {4}\/shop\.Reviews\/Get\nBackends: {2}shop\/reviews-v1:9090 {2}100% \(weight 1\)/,
      );
      const plain = await weft([
        'route-check',
        '--from-namespace',
        SHOP,
        '--to',
        'http://shadow.shop/',
      ]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, /Answer: {4}no route: the Service as it is \(shop\/shadow:80/);
      const bad = await weft(['route-check', '--from-namespace', SHOP, '--to', 'http://shadow/']);
      assert.deepEqual(
        [bad.code, bad.stderr],
        [
          2,
          'kubectl weft: --to http://shadow/: the host must name a Service: SVC.NS (or SVC.NS.svc...)\n',
        ],
      );
      const flag = await weft(['routes', 'reviews', '-n', SHOP, '--bogus']);
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /^kubectl weft: Unknown option '--bogus'/);
      const port = await weft(['routes', 'reviews', '-n', SHOP, '--port', '1234']);
      assert.deepEqual(
        [port.code, port.stderr],
        [5, 'kubectl weft: service shop/reviews has no port 1234 (ports: 9080, 9090)\n'],
      );
      const none = await weft(['routes', 'nope', '-n', SHOP]);
      assert.deepEqual(
        [none.code, none.stderr],
        [5, 'kubectl weft: not found: services "nope" not found\n'],
      );
    });

    it('the table: every row a cluster can hold is answered by the CLI as the table and the matcher answer it', async (t) => {
      const rows = [...stored.keys()].sort((a, b) => a - b);
      assert.ok(rows.length >= 80, `rows created: ${rows.length}; refused: ${refused.join('; ')}`);
      let asTable = 0;
      await inParallel(rows, 4, async (i) => {
        const c = ROUTE_CASES[i]!;
        const r = await weft(['route-check', ...rowArgs(i, c)]);
        assert.ok(r.code === 0 || r.code === 1, `${c.name}: exit ${r.code}: ${r.stderr}`);
        const view = JSON.parse(r.stdout) as RouteCheckView;
        const back = (s: string): string => s.replace(new RegExp(`^t${i}-(.*)-${RUN}/`), '$1/');
        const cli = asTableOutcome(view, c, back);
        // The matcher over the routes as stored (their real creation times) must agree with the CLI.
        const routes = stored.get(i)!;
        const matcher = routeCheck({
          caller: { namespace: nsOf(i, c.call.callerNamespace) },
          request: parseRequest(view.request.url, view.request.method, {
            ...view.request.headers,
          } as Record<string, string>),
          routes: routes.map((object) => ({ object, status: [] })),
        });
        assert.deepEqual(
          cli,
          asTableOutcome(matcher, c, back),
          `${c.name}: the CLI and the matcher disagree`,
        );
        // The table's own times tie where the row's routes share one; so do the stored ones mostly.
        const times = new Set(routes.map((x) => x.creationTimestamp));
        const tableTimes = new Set(c.routes.map((x) => x.creationTimestamp));
        if (times.size <= 1 && tableTimes.size <= 1) {
          assert.deepEqual(cli, c.expect, `${c.name}: the CLI disagrees with the table`);
          asTable++;
        }
      });
      t.diagnostic(
        `${rows.length} of ${ROUTE_CASES.length} rows created (refused by the CRD: ${refused.join('; ') || 'none'}); ${asTable} also checked against the table`,
      );
      assert.ok(asTable >= 75, `rows checked against the table: ${asTable} of ${rows.length}`);
    });
  },
);
