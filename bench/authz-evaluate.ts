// The pure matcher's cost per request: 100 rules (50 DENY, 50 ALLOW, each on a
// principal, a method and a path prefix), the request matching only the last
// ALLOW rule, so every rule is tried. Also the deny path, without and with
// reading its (lazy) explanation.
// Run: npm run build && node dist/bench/authz-evaluate.js
import { compilePolicy, evaluate, selectPolicies } from '../src/authz/index.js';
import type { AuthzRequest } from '../src/authz/index.js';

const N = Number(process.env.BENCH_AUTHZ_N ?? 100_000);

const rule = (i: number) => ({
  from: [{ source: { principals: [`cluster.local/ns/team-${i}/sa/client`] } }],
  to: [{ operation: { methods: ['GET', 'POST'], paths: [`/api/v${i}/*`] } }],
});
const policies = [
  compilePolicy({
    namespace: 'foo',
    name: 'deny',
    spec: { action: 'DENY', rules: Array.from({ length: 50 }, (_, i) => rule(i)) },
  }),
  compilePolicy({
    namespace: 'foo',
    name: 'allow',
    spec: { rules: Array.from({ length: 50 }, (_, i) => rule(i + 50)) },
  }),
];
const selected = selectPolicies(policies, { namespace: 'foo', labels: { app: 'x' } });

const request = (peer: string): AuthzRequest => ({
  source: { principal: `spiffe://cluster.local/ns/${peer}/sa/client`, ip: '198.51.100.20' },
  destination: { ip: '198.51.100.10', port: 8080 },
  http: { method: 'GET', path: '/api/v99/items?x=1', host: 'x.foo', headers: {} },
});

function run(name: string, req: AuthzRequest, expectAllow: boolean, explain = false): void {
  const once = (): unknown => {
    const d = evaluate(selected, req);
    return explain ? d.considered.map((c) => c.why) : d;
  };
  if (evaluate(selected, req).allow !== expectAllow) throw new Error(`${name}: wrong decision`);
  for (let i = 0; i < 10_000; i++) once(); // warm up
  // CPU time as well as wall time: on a shared machine the wall clock counts other processes.
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) once();
  const wall = Number(process.hrtime.bigint() - t0) / N;
  const c = process.cpuUsage(c0);
  const cpu = ((c.user + c.system) * 1000) / N;
  process.stdout.write(
    `${name.padEnd(44)} ${cpu.toFixed(0).padStart(7)} ns/op CPU ${wall.toFixed(0).padStart(7)} ns/op wall (${N} runs)\n`,
  );
}

run('100 rules, match on the last (allow)', request('team-99'), true);
run('100 rules, none matches (deny)', request('team-x'), false);
run('the same deny, explanation read', request('team-x'), false, true);
