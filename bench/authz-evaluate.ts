// The pure matcher's cost per request: 100 rules (50 DENY, 50 ALLOW, each on a
// principal, a method and a path prefix), the request matching only the last
// ALLOW rule; the deny path, without and with reading its (lazy) explanation; and
// the policies of bench:sidecar's authorization row (bench/bench-policies.ts).
// With WEFT_BENCH_BASE=<another build's dist> each is also run with that build's
// compile and evaluate, alternated in one process (bench/ab.ts).
// Run: npm run build && node dist/bench/authz-evaluate.js
import * as authzNew from '../src/authz/index.js';
import type { AuthzRequest, PolicyObject } from '../src/authz/index.js';
import { ab, baseModule } from './ab.js';
import { benchPolicies } from './bench-policies.js';

const N = Number(process.env.BENCH_AUTHZ_N ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
type Authz = typeof authzNew;

const rule = (i: number) => ({
  from: [{ source: { principals: [`cluster.local/ns/team-${i}/sa/client`] } }],
  to: [{ operation: { methods: ['GET', 'POST'], paths: [`/api/v${i}/*`] } }],
});
const TEAMS: PolicyObject[] = [
  {
    namespace: 'foo',
    name: 'deny',
    spec: { action: 'DENY', rules: Array.from({ length: 50 }, (_, i) => rule(i)) },
  },
  {
    namespace: 'foo',
    name: 'allow',
    spec: { rules: Array.from({ length: 50 }, (_, i) => rule(i + 50)) },
  },
];

const request = (peer: string, path: string): AuthzRequest => ({
  source: { principal: `spiffe://cluster.local/ns/${peer}/sa/client`, ip: '198.51.100.20' },
  destination: { ip: '198.51.100.10', port: 8080 },
  http: { method: 'GET', path, host: 'x.foo', headers: {} },
});

interface Case {
  readonly name: string;
  readonly policies: PolicyObject[];
  readonly req: AuthzRequest;
  readonly allow: boolean;
  readonly explain?: boolean;
}

const CASES: Case[] = [
  {
    name: '100 rules, match on the last (allow)',
    policies: TEAMS,
    req: request('team-99', '/api/v99/items?x=1'),
    allow: true,
  },
  {
    name: '100 rules, none matches (deny)',
    policies: TEAMS,
    req: request('team-x', '/api/v99/items'),
    allow: false,
  },
  {
    name: 'the same deny, explanation read',
    policies: TEAMS,
    req: request('team-x', '/api/v99/items'),
    allow: false,
    explain: true,
  },
  {
    name: "bench:sidecar's row: GET /1k, the 100th rule",
    policies: benchPolicies('foo') as PolicyObject[],
    req: request('foo', '/1k'),
    allow: true,
  },
];

/** One evaluation with a build's compile, select and evaluate; checks the decision first. */
function op(a: Authz, c: Case): () => unknown {
  const selected = a.selectPolicies(c.policies.map(a.compilePolicy), {
    namespace: 'foo',
    labels: {},
  });
  if (a.evaluate(selected, c.req).allow !== c.allow) throw new Error(`${c.name}: wrong decision`);
  return () => {
    const d = a.evaluate(selected, c.req);
    return c.explain ? d.considered.map((x) => x.why) : d;
  };
}

async function main(): Promise<void> {
  const base = await baseModule<Authz>('src/authz/index.js');
  for (const c of CASES) {
    await ab(
      c.name,
      { new: op(authzNew, c), ...(base ? { base: op(base, c) } : {}) },
      { n: N, rounds: ROUNDS },
    );
  }
}

void main();
