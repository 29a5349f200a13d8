// The rule index must never skip a rule that a scan of every rule would try:
// each case here is a way an index could get that wrong (a DENY keyed away, a
// not-field taken for a key, a wildcard taken for an exact value, an HTTP key
// applied to TCP, a dry-run or AUDIT policy's rule number), then a differential
// run of the whole table and of generated policies against the plain scan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTHZ_CASES } from './cases.js';
import { prepare } from './context.js';
import { firstMatch, firstMatchScan } from './evaluate.js';
import { compilePolicy, evaluate, selectPolicies } from './index.js';
import { candidates } from './rule-index.js';
import type { AuthzRequest, CompiledPolicy, PolicyObject } from './types.js';

const CURL = 'spiffe://cluster.local/ns/foo/sa/curl';
const ADMIN = 'spiffe://cluster.local/ns/bar/sa/admin';

function req(
  method: string,
  path: string,
  o: { peer?: string; port?: number; headers?: Record<string, string> } = {},
): AuthzRequest {
  return {
    source: { ...(o.peer ? { principal: o.peer } : {}), ip: '198.51.100.20' },
    destination: { ip: '198.51.100.10', port: o.port ?? 8000 },
    http: { method, path, host: 'httpbin.foo', headers: o.headers ?? {} },
  };
}

function tcp(port: number, peer?: string): AuthzRequest {
  const { http: _, ...rest } = req('GET', '/', { port, ...(peer ? { peer } : {}) });
  return rest;
}

const obj = (name: string, spec: unknown, annotations?: Record<string, string>): PolicyObject => ({
  namespace: 'foo',
  name,
  spec,
  ...(annotations ? { annotations } : {}),
});
const to = (operation: object): object => ({ to: [{ operation }] });
const from = (source: object): object => ({ from: [{ source }] });

function decide(policies: PolicyObject[], r: AuthzRequest) {
  const selected = selectPolicies(policies.map(compilePolicy), {
    namespace: 'foo',
    labels: {},
  });
  const d = evaluate(selected, r);
  return {
    allow: d.allow,
    reason: d.reason,
    policy: d.policy,
    rule: d.rule,
    audit: d.audit,
    dryRun: d.dryRun,
  };
}

/** Both ways, for every policy: the index's first match must be the scan's. */
function agree(p: CompiledPolicy, r: AuthzRequest, what: string): void {
  const ctx = prepare(r);
  assert.equal(firstMatch(p, ctx), firstMatchScan(p, ctx), what);
}

describe('authorization rule index', () => {
  it('tries far fewer than 100 rules for the bench policy (the request matching the last)', () => {
    const client = 'cluster.local/ns/foo/sa/client';
    const other = (i: number): object => to({ paths: [`/other-${i}/*`] });
    const deny = compilePolicy(
      obj('d', { action: 'DENY', rules: Array.from({ length: 50 }, (_, i) => other(i)) }),
    );
    const allow = compilePolicy(
      obj('a', {
        rules: [
          ...Array.from({ length: 49 }, (_, i) => ({
            ...from({ principals: [client] }),
            ...other(i),
          })),
          { ...from({ principals: [client] }), ...to({ methods: ['GET'], paths: ['/1k'] }) },
        ],
      }),
    );
    const ctx = prepare(req('GET', '/1k', { peer: `spiffe://${client}` }));
    assert.deepEqual(candidates(deny.index, ctx), []);
    assert.deepEqual(candidates(allow.index, ctx), [49]);
    assert.equal(firstMatch(allow, ctx), 49);
    const hit = prepare(req('GET', '/other-7/x', { peer: `spiffe://${client}` }));
    assert.deepEqual(candidates(deny.index, hit), [7]);
  });

  it('DENY is still tried before ALLOW: a keyed DENY rule after a residual one denies', () => {
    const policies = [
      obj('a', { rules: [{}] }),
      obj('d', {
        action: 'DENY',
        rules: [to({ notPaths: ['/admin', '/admin/*'] }), to({ paths: ['/admin'] })],
      }),
    ];
    // notPaths on /admin does not hold; the rule keyed by /admin does.
    assert.deepEqual(decide(policies, req('GET', '/admin', { peer: CURL })), {
      allow: false,
      reason: 'denied-by-policy',
      policy: 'foo/d',
      rule: 1,
      audit: [],
      dryRun: [],
    });
    // Elsewhere the residual notPaths rule is the one that denies.
    assert.equal(decide(policies, req('GET', '/x', { peer: CURL })).rule, 0);
  });

  it('names the first matching rule when a residual rule comes before a keyed one', () => {
    const p = obj('a', {
      rules: [to({ paths: ['/api/*'] }), to({ notMethods: ['DELETE'] }), to({ paths: ['/b'] })],
    });
    assert.equal(decide([p], req('GET', '/api/v1')).rule, 0);
    assert.equal(decide([p], req('GET', '/b')).rule, 1);
    assert.equal(decide([p], req('DELETE', '/b')).rule, 2);
    assert.equal(decide([p], req('DELETE', '/c')).reason, 'no-allow-matched');
  });

  it('never keys a rule by a not-field', () => {
    const p = obj('a', {
      rules: [
        to({ notPaths: ['/private'] }),
        to({ paths: ['/a'], notMethods: ['GET'] }),
        from({ notPrincipals: ['cluster.local/ns/bar/sa/admin'] }),
      ],
    });
    assert.equal(decide([p], req('GET', '/x')).rule, 0);
    assert.equal(decide([p], req('POST', '/private')).reason, 'no-allow-matched');
    const q = obj('q', { rules: [from({ notPrincipals: ['cluster.local/ns/bar/sa/admin'] })] });
    assert.equal(decide([q], req('GET', '/', { peer: CURL })).rule, 0);
    assert.equal(decide([q], req('GET', '/', { peer: ADMIN })).reason, 'no-allow-matched');
  });

  it('keys prefixes but not presence, suffixes or path templates', () => {
    const p = obj('a', {
      rules: [
        from({ principals: ['*/sa/admin'] }),
        from({ principals: ['cluster.local/ns/foo/*'] }),
        to({ paths: ['*'] }),
      ],
    });
    assert.equal(decide([p], req('GET', '/', { peer: ADMIN })).rule, 0);
    assert.equal(decide([p], req('GET', '/', { peer: CURL })).rule, 1);
    assert.equal(decide([p], req('GET', '/z')).rule, 2);
    const t = obj('t', { rules: [to({ paths: ['/api/{*}/items'] }), to({ paths: ['/a*b'] })] });
    assert.equal(decide([t], req('GET', '/api/v2/items')).rule, 0);
    // A * inside a value is literal: exact /a*b, not a prefix /a.
    assert.equal(decide([t], req('GET', '/a*b')).rule, 1);
    assert.equal(decide([t], req('GET', '/axb')).reason, 'no-allow-matched');
  });

  it('keys the query-less path, normalised ports and every to[] entry', () => {
    const p = obj('a', {
      rules: [
        { to: [{ operation: { paths: ['/a'] } }, { operation: { methods: ['POST'] } }] },
        to({ ports: ['080'] }),
        { when: [{ key: 'destination.port', values: ['9001'] }] },
      ],
    });
    assert.equal(decide([p], req('GET', '/a?x=1')).rule, 0);
    assert.equal(decide([p], req('POST', '/zzz')).rule, 0);
    assert.equal(decide([p], req('GET', '/zzz', { port: 80 })).rule, 1);
    assert.equal(decide([p], req('GET', '/zzz', { port: 9001 })).rule, 2);
    assert.equal(decide([p], req('GET', '/zzz')).reason, 'no-allow-matched');
  });

  it('needs a key in every from[] entry to key a rule by its sources', () => {
    const p = obj('a', {
      rules: [
        {
          from: [
            { source: { principals: ['cluster.local/ns/foo/sa/curl'] } },
            { source: { namespaces: ['bar'] } },
          ],
        },
      ],
    });
    assert.equal(decide([p], req('GET', '/', { peer: ADMIN })).rule, 0);
    assert.equal(decide([p], req('GET', '/', { peer: CURL })).rule, 0);
    assert.equal(decide([p], req('GET', '/')).reason, 'no-allow-matched');
  });

  it('scans on TCP: a DENY keyed by a path still denies the port it covers', () => {
    const policies = [
      obj('a', { rules: [to({ ports: ['9000'] })] }),
      obj('d', { action: 'DENY', rules: [to({ paths: ['/admin'], ports: ['9000'] })] }),
    ];
    assert.deepEqual(decide(policies, tcp(9000, CURL)), {
      allow: false,
      reason: 'denied-by-policy',
      policy: 'foo/d',
      rule: 0,
      audit: [],
      dryRun: [],
    });
    // An ALLOW rule with an HTTP-only field never matches TCP.
    const allowOnly = [obj('a', { rules: [to({ paths: ['/x'], ports: ['9000'] })] })];
    assert.equal(decide(allowOnly, tcp(9000, CURL)).reason, 'no-allow-matched');
  });

  it('reports the rule of a dry-run DENY and of an AUDIT policy found through the index', () => {
    const dry = obj(
      'd',
      { action: 'DENY', rules: [to({ notPaths: ['/admin'] }), to({ paths: ['/admin'] })] },
      { 'weft.dev/dry-run': 'true' },
    );
    const audit = obj('audit', {
      action: 'AUDIT',
      rules: [to({ paths: ['/x'] }), to({ methods: ['GET'] }), to({ paths: ['/admin'] })],
    });
    const d = decide([dry, audit], req('GET', '/admin', { peer: CURL }));
    assert.equal(d.allow, true);
    assert.deepEqual(d.dryRun, [{ policy: 'foo/d', rule: 1, wouldAllow: false }]);
    assert.deepEqual(d.audit, [{ policy: 'foo/audit', rule: 1 }]);
    const dryAllow = obj(
      'a',
      { rules: [to({ paths: ['/x'] }), to({ paths: ['/admin'] })] },
      { 'weft.dev/dry-run': 'true' },
    );
    assert.deepEqual(decide([dryAllow], req('GET', '/admin')).dryRun, [
      { policy: 'foo/a', rule: 1, wouldAllow: true },
    ]);
  });

  it('agrees with a scan of every rule on every case of the table', () => {
    for (const c of AUTHZ_CASES) {
      for (const p of c.policies.map(compilePolicy)) agree(p, c.request, c.name);
    }
  });

  it('agrees with a scan of every rule on generated policies and requests', () => {
    const rnd = seeded(13);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const some = <T>(xs: readonly T[]): T[] => xs.filter(() => rnd() < 0.3);
    const paths = ['/a', '/a/b', '/api/*', '/api/v1/*', '*', '*/x', '/a*b', '/b{*}', '/', '/c'];
    const principals = ['cluster.local/ns/foo/sa/curl', 'cluster.local/ns/bar/*', '*', '*/admin'];
    const methods = ['GET', 'POST', 'G*', '*'];
    const ports = ['8000', '9000', '80'];
    const field = (name: string, values: readonly string[]): object =>
      rnd() < 0.4 ? { [name]: some(values).length ? some(values) : [pick(values)] } : {};
    const operation = (): object => {
      const o = {
        ...field('paths', paths),
        ...field('notPaths', paths),
        ...field('methods', methods),
        ...field('notMethods', methods),
        ...field('ports', ports),
      };
      return Object.keys(o).length ? o : { paths: [pick(paths)] };
    };
    const source = (): object => {
      const s = { ...field('principals', principals), ...field('notPrincipals', principals) };
      return Object.keys(s).length ? s : { principals: [pick(principals)] };
    };
    const rule = (): object => ({
      ...(rnd() < 0.5
        ? { from: Array.from({ length: 1 + (rnd() < 0.3 ? 1 : 0) }, () => ({ source: source() })) }
        : {}),
      ...(rnd() < 0.7
        ? {
            to: Array.from({ length: 1 + (rnd() < 0.3 ? 1 : 0) }, () => ({
              operation: operation(),
            })),
          }
        : {}),
      ...(rnd() < 0.2 ? { when: [{ key: 'destination.port', values: [pick(ports)] }] } : {}),
    });
    const actions = ['ALLOW', 'DENY', 'AUDIT'];
    const requestPaths = [
      '/a',
      '/a/b',
      '/api/v1/x',
      '/api',
      '/a*b',
      '/axb',
      '/bq',
      '/',
      '/c?x',
      '/x',
    ];
    const peers = [CURL, ADMIN, undefined];
    let compared = 0;
    let keyed = 0;
    for (let n = 0; n < 300; n++) {
      const p = compilePolicy(
        obj('g', {
          action: pick(actions),
          rules: Array.from({ length: 1 + Math.floor(rnd() * 12) }, rule),
        }),
      );
      if (p.valid && p.index.residual.length < p.rules.length) keyed++;
      for (let k = 0; k < 20; k++) {
        const peer = pick(peers);
        const port = Number(pick(ports));
        const r =
          rnd() < 0.15
            ? tcp(port, peer)
            : req(pick(['GET', 'POST', 'DELETE']), pick(requestPaths), {
                port,
                ...(peer ? { peer } : {}),
              });
        agree(p, r, JSON.stringify({ rules: p.rules.length, r }));
        compared++;
      }
    }
    assert.equal(compared, 6000);
    // The generator must reach the index: most valid policies have keyed rules.
    assert.ok(keyed > 100, `${keyed} policies with keyed rules`);
  });
});

/** A small deterministic generator (xorshift32): the same cases on every run. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
