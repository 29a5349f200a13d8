// The routing decision's cost per request with the weft-routes row's 100 rules
// (bench/sidecar-routes.ts: GET /1k matches the last in precedence order): the
// routes compiled with the mesh, then per request the match, the plan and the
// backend resolved (sidecar/route-decision.ts), against a Service with no route.
// With WEFT_BENCH_BASE=<other build's dist> the same from that build, alternated in
// one process (bench/ab.ts).
// Run: npm run build && node dist/bench/route-decision.js
import { MeshConfigSchema } from '../src/mesh/config.js';
import * as indexNew from '../src/mesh/mesh-index.js';
import type { ProxyRequest } from '../sidecar/exchange.js';
import * as decisionNew from '../sidecar/route-decision.js';
import { ab, baseModule } from './ab.js';
import { benchRouteRules, benchRoutes } from './sidecar-routes.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const VIP = '10.96.0.5';

const config = (routes: unknown[]): unknown => ({
  services: [
    {
      name: 'echo',
      namespace: 'bench',
      addresses: [VIP],
      ports: [{ port: 80, name: 'http' }],
      endpoints: [
        { address: '198.51.100.11', identity: 'spiffe://cluster.local/ns/bench/sa/echo' },
      ],
    },
  ],
  routes,
});

/** A decision per call for the fortio request of bench:sidecar, on one build's code. */
function decider(
  index: typeof indexNew,
  decision: typeof decisionNew,
  routes: unknown[],
): () => unknown {
  const mesh = index.compileMesh(MeshConfigSchema.parse(config(routes)), 'bench');
  const called = mesh.byDestination(VIP, 80)!;
  const random = (): number => 0.5;
  return () =>
    decision.decideRoute(
      mesh,
      called,
      {
        method: 'GET',
        url: '/1k',
        headers: { host: 'echo', 'user-agent': 'fortio.org/fortio-1.63.0', accept: '*/*' },
      } as unknown as ProxyRequest,
      random,
    );
}

const rules = benchRoutes('bench', benchRouteRules());
const variants: Record<string, () => unknown> = {
  new: decider(indexNew, decisionNew, rules),
  'no route': decider(indexNew, decisionNew, []),
};
const baseIndex = await baseModule<typeof indexNew>('src/mesh/mesh-index.js');
const baseDecision = await baseModule<typeof decisionNew>('sidecar/route-decision.js');
if (baseIndex && baseDecision) variants.base = decider(baseIndex, baseDecision, rules);
await ab('route decision, 100 rules, the last matches', variants, { n: N, rounds: ROUNDS });
