import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy, evaluate } from './index.js';

const compile = (spec: unknown, annotations?: Record<string, string>) =>
  compilePolicy({ namespace: 'foo', name: 'p', spec, ...(annotations ? { annotations } : {}) });

describe('compilePolicy', () => {
  it('never throws, whatever the spec', () => {
    for (const spec of [
      null,
      undefined,
      42,
      'x',
      [],
      { rules: 'x' },
      { rules: [null] },
      { selector: 7 },
    ]) {
      const p = compile(spec);
      assert.equal(typeof p.valid, 'boolean');
    }
  });

  it('names the field and the problem', () => {
    const p = compile({ rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/40'] } }] }] });
    assert.equal(p.valid, false);
    assert.deepEqual(p.problems, [
      {
        field: 'spec.rules[0].from[0].source.ipBlocks',
        reason: '"10.0.0.0/40" has a prefix length outside 0-32',
      },
    ]);
  });

  it('refuses CUSTOM with a clear reason, and compiles it to deny (fail closed)', () => {
    const p = compile({ action: 'CUSTOM', provider: { name: 'ext' } });
    assert.equal(p.valid, false);
    assert.equal(p.action, 'DENY');
    assert.match(p.problems[0]!.reason, /CUSTOM .* not supported/);
  });

  it('refuses targetRef and targetRefs, naming selector', () => {
    const p = compile({ targetRefs: [{ kind: 'Service', name: 'x' }] });
    assert.deepEqual(p.problems, [
      { field: 'spec.targetRefs', reason: 'targetRefs is not supported by weft; use selector' },
    ]);
  });

  it('refuses serviceAccounts together with principals (Istio rule)', () => {
    const p = compile({
      rules: [{ from: [{ source: { serviceAccounts: ['foo/a'], principals: ['x'] } }] }],
    });
    assert.equal(p.problems[0]?.field, 'spec.rules[0].from[0].source.serviceAccounts');
  });

  it('refuses conditions without values and unknown keys', () => {
    const p = compile({
      rules: [{ when: [{ key: 'source.ip' }, { key: 'request.time', values: ['1'] }] }],
    });
    assert.deepEqual(
      p.problems.map((x) => x.field),
      ['spec.rules[0].when[0]', 'spec.rules[0].when[1].key'],
    );
  });

  it('keeps an invalid policy scoped to its selector when the selector parses', () => {
    const p = compile({
      action: 'DENY',
      selector: { matchLabels: { app: 'a' } },
      rules: [{ to: [], from: [{}] }],
    });
    assert.equal(p.valid, false);
    assert.deepEqual(p.selector, { app: 'a' });
  });

  it('warns on a * inside a value (matched literally, as Istio)', () => {
    const p = compile({ rules: [{ to: [{ operation: { paths: ['/a*b'] } }] }] });
    assert.equal(p.valid, true);
    assert.match(p.warnings[0]!, /matches literally/);
  });

  it('reads the dry-run annotation', () => {
    assert.equal(compile({}, { 'weft.dev/dry-run': 'true' }).dryRun, true);
    assert.equal(compile({}, { 'weft.dev/dry-run': 'false' }).dryRun, false);
  });
});

describe('the deny explanation', () => {
  it('names, for each ALLOW policy, why each rule did not match', () => {
    const a = compilePolicy({
      namespace: 'foo',
      name: 'a',
      spec: {
        rules: [
          { from: [{ source: { principals: ['cluster.local/ns/foo/sa/x'] } }] },
          { to: [{ operation: { methods: ['GET'] } }] },
        ],
      },
    });
    const b = compilePolicy({ namespace: 'foo', name: 'b', spec: {} });
    const d = evaluate([a, b], {
      source: { ip: '198.51.100.1' },
      destination: { ip: '198.51.100.2', port: 80 },
      http: { method: 'POST', path: '/', host: 'h', headers: {} },
    });
    assert.deepEqual(d.considered, [
      {
        policy: 'foo/a',
        why: 'rule 0: spec.rules[0].from[0].source.principals: no verified peer identity (plaintext); rule 1: spec.rules[1].to[0].operation.methods: request.method POST not in [GET]',
      },
      { policy: 'foo/b', why: 'has no rules: allows nothing' },
    ]);
  });
});
