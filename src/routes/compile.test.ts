import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoute } from './index.js';
import type { RouteKind } from './index.js';

const PARENT = { group: '', kind: 'Service', name: 'echo', port: 80 };
const compile = (spec: unknown, kind: RouteKind = 'HTTPRoute') =>
  compileRoute({
    kind,
    namespace: 'mesh',
    name: 'r',
    creationTimestamp: '2026-01-01T00:00:00Z',
    spec,
  });
const oneRule = (rule: unknown, kind: RouteKind = 'HTTPRoute') =>
  compile({ parentRefs: [PARENT], rules: [rule] }, kind);
const backend = { name: 'b', port: 80 };

/** [name, rule, field, reason, message pattern] — each refused with a named reason. */
const REFUSED: [string, unknown, string, string, RegExp][] = [
  [
    'a backreference',
    { matches: [{ path: { type: 'RegularExpression', value: '/(a)\\1' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /backreferences/,
  ],
  [
    'a lookahead',
    { matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: '(?=a)a' }] }] },
    'spec.rules[0].matches[0].headers[0].value',
    'UnsupportedValue',
    /groups other than/,
  ],
  [
    'a counted repetition above 16',
    { matches: [{ path: { type: 'RegularExpression', value: '/a{100}' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /linear time/,
  ],
  [
    'a POSIX class',
    {
      matches: [{ queryParams: [{ type: 'RegularExpression', name: 'q', value: '[[:alpha:]]+' }] }],
    },
    'spec.rules[0].matches[0].queryParams[0].value',
    'UnsupportedValue',
    /POSIX/,
  ],
  [
    'an RE2-only escape',
    { matches: [{ path: { type: 'RegularExpression', value: '/a\\z' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /RE2 escape/,
  ],
  [
    'a syntax error',
    { matches: [{ path: { type: 'RegularExpression', value: '/(a' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /invalid regular expression/,
  ],
  [
    'a relative path',
    { matches: [{ path: { type: 'PathPrefix', value: 'api' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /absolute/,
  ],
  [
    'a path with //',
    { matches: [{ path: { type: 'Exact', value: '/a//b' } }] },
    'spec.rules[0].matches[0].path.value',
    'UnsupportedValue',
    /must not contain/,
  ],
  [
    'an unknown path type',
    { matches: [{ path: { type: 'Glob', value: '/a' } }] },
    'spec.rules[0].matches[0].path.type',
    'UnsupportedValue',
    /Exact|PathPrefix/,
  ],
  [
    'a CORS filter (not implemented)',
    { filters: [{ type: 'CORS', cors: {} }], backendRefs: [backend] },
    'spec.rules[0].filters[0]',
    'UnsupportedValue',
    /cors: not implemented by weft/,
  ],
  [
    'an ExtensionRef filter',
    { filters: [{ type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'y', name: 'z' } }] },
    'spec.rules[0].filters[0]',
    'UnsupportedValue',
    /extensionRef: not implemented/,
  ],
  [
    'sessionPersistence',
    { sessionPersistence: {}, backendRefs: [backend] },
    'spec.rules[0]',
    'UnsupportedValue',
    /sessionPersistence: not implemented by weft/,
  ],
  [
    'URLRewrite with RequestRedirect',
    {
      filters: [
        { type: 'URLRewrite', urlRewrite: {} },
        { type: 'RequestRedirect', requestRedirect: {} },
      ],
    },
    'spec.rules[0].filters',
    'IncompatibleFilters',
    /either RequestRedirect or URLRewrite/,
  ],
  [
    'a repeated RequestHeaderModifier',
    {
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: {} },
        { type: 'RequestHeaderModifier', requestHeaderModifier: {} },
      ],
    },
    'spec.rules[0].filters[1]',
    'IncompatibleFilters',
    /cannot be repeated/,
  ],
  [
    'ReplacePrefixMatch on an Exact match',
    {
      matches: [{ path: { type: 'Exact', value: '/a' } }],
      filters: [
        {
          type: 'URLRewrite',
          urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } },
        },
      ],
      backendRefs: [backend],
    },
    'spec.rules[0].filters',
    'IncompatibleFilters',
    /only compatible with PathPrefix/,
  ],
  [
    'a filter without its config',
    { filters: [{ type: 'RequestHeaderModifier' }], backendRefs: [backend] },
    'spec.rules[0].filters[0]',
    'UnsupportedValue',
    /needs requestHeaderModifier/,
  ],
  [
    "a filter with another type's config",
    { filters: [{ type: 'URLRewrite', requestRedirect: {} }], backendRefs: [backend] },
    'spec.rules[0].filters[0]',
    'UnsupportedValue',
    /needs urlRewrite and only that/,
  ],
  [
    'a path modifier missing its value',
    {
      filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath' } } }],
      backendRefs: [backend],
    },
    'spec.rules[0].filters[0].urlRewrite.path',
    'UnsupportedValue',
    /needs replaceFullPath/,
  ],
  [
    'mirror percent and fraction together',
    {
      filters: [
        {
          type: 'RequestMirror',
          requestMirror: { backendRef: backend, percent: 5, fraction: { numerator: 1 } },
        },
      ],
      backendRefs: [backend],
    },
    'spec.rules[0].filters[0].requestMirror',
    'UnsupportedValue',
    /only one of percent or fraction/,
  ],
  [
    'a mirror fraction above 1',
    {
      filters: [
        {
          type: 'RequestMirror',
          requestMirror: { backendRef: backend, fraction: { numerator: 3, denominator: 2 } },
        },
      ],
      backendRefs: [backend],
    },
    'spec.rules[0].filters[0].requestMirror.fraction',
    'UnsupportedValue',
    /numerator/,
  ],
  [
    'a Service backendRef without port',
    { backendRefs: [{ name: 'b' }] },
    'spec.rules[0].backendRefs[0].port',
    'UnsupportedValue',
    /must have port/,
  ],
  [
    'a negative weight',
    { backendRefs: [{ ...backend, weight: -1 }] },
    'spec.rules[0].backendRefs[0].weight',
    'UnsupportedValue',
    />=0|>= 0|too small/i,
  ],
  [
    'a bad duration',
    { timeouts: { request: '10 seconds' }, backendRefs: [backend] },
    'spec.rules[0].timeouts.request',
    'UnsupportedValue',
    /Gateway API duration/,
  ],
  [
    'backendRequest longer than request',
    { timeouts: { request: '1s', backendRequest: '2s' }, backendRefs: [backend] },
    'spec.rules[0].timeouts.backendRequest',
    'UnsupportedValue',
    /cannot be longer/,
  ],
  [
    'a retry code outside 400-599',
    { retry: { codes: [200] }, backendRefs: [backend] },
    'spec.rules[0].retry.codes[0]',
    'UnsupportedValue',
    />=400|too small/i,
  ],
  [
    'a redirect status weft does not know',
    { filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 305 } }] },
    'spec.rules[0].filters[0].requestRedirect.statusCode',
    'UnsupportedValue',
    /./,
  ],
  [
    'a header name with a space',
    { matches: [{ headers: [{ name: 'x y', value: '1' }] }], backendRefs: [backend] },
    'spec.rules[0].matches[0].headers[0].name',
    'UnsupportedValue',
    /header name/,
  ],
  ['a rule that is not an object', 'x', 'spec.rules[0]', 'UnsupportedValue', /object/],
];

const GRPC_REFUSED: [string, unknown, string, RegExp][] = [
  [
    'a gRPC match with neither service nor method',
    { matches: [{ method: { type: 'Exact' } }] },
    'spec.rules[0].matches[0].method',
    /one or both/,
  ],
  [
    'an Exact gRPC service with a slash',
    { matches: [{ method: { service: 'a/b' } }] },
    'spec.rules[0].matches[0].method.service',
    /not a valid gRPC name/,
  ],
  [
    'a gRPC URLRewrite (HTTP only)',
    { filters: [{ type: 'URLRewrite', urlRewrite: {} }] },
    'spec.rules[0].filters[0].type',
    /RequestHeaderModifier/,
  ],
];

describe('compileRoute refuses what weft cannot apply, naming field and reason', () => {
  for (const [name, rule, field, reason, message] of REFUSED) {
    it(name, () => {
      const r = oneRule(rule);
      assert.equal(r.valid, false, 'the only rule is dropped, so the route is not applied');
      const p = r.problems.find((x) => x.field === field);
      assert.ok(p, `no problem at ${field}: ${JSON.stringify(r.problems)}`);
      assert.equal(p.reason, reason);
      assert.match(p.message, message);
    });
  }
  for (const [name, rule, field, message] of GRPC_REFUSED) {
    it(name, () => {
      const r = oneRule(rule, 'GRPCRoute');
      const p = r.problems.find((x) => x.field === field);
      assert.ok(p, `no problem at ${field}: ${JSON.stringify(r.problems)}`);
      assert.match(p.message, message);
    });
  }

  it('never throws, whatever the spec', () => {
    for (const spec of [
      null,
      undefined,
      42,
      'x',
      [],
      { rules: 'x' },
      { rules: [null] },
      { parentRefs: 7 },
      { rules: [{ matches: [null] }] },
    ]) {
      assert.equal(typeof compile(spec).valid, 'boolean');
    }
  });

  it('drops only the bad rule and keeps the others (PartiallyInvalid)', () => {
    const r = compile({
      parentRefs: [PARENT],
      rules: [
        { backendRefs: [backend] },
        { matches: [{ path: { type: 'RegularExpression', value: '(' } }] },
      ],
    });
    assert.equal(r.valid, true);
    assert.deepEqual(
      r.rules.map((x) => x.index),
      [0],
    );
    assert.equal(r.ruleCount, 2);
    assert.equal(r.problems[0]?.field, 'spec.rules[1].matches[0].path.value');
  });

  it('an absent rules list is one rule matching everything (the CRD default)', () => {
    const r = compile({ parentRefs: [PARENT] });
    assert.equal(r.rules.length, 1);
    assert.equal(r.rules[0]?.matches[0]?.path?.value, '/');
  });

  it('warns that hostnames carry no meaning on a Service parent (GEP-1426)', () => {
    const r = compile({
      parentRefs: [PARENT],
      hostnames: ['echo.example'],
      rules: [{ backendRefs: [backend] }],
    });
    assert.equal(r.valid, true);
    assert.match(r.warnings[0] ?? '', /hostnames has no effect/);
  });

  it("keeps Gateway parents out of its parents (not weft's to program)", () => {
    const r = compile({
      parentRefs: [{ name: 'gw' }, PARENT],
      rules: [{ backendRefs: [backend] }],
    });
    assert.deepEqual(
      r.parents.map((p) => [p.name, p.index]),
      [['echo', 1]],
    );
  });

  it('compiles timeouts and retry to milliseconds', () => {
    const r = oneRule({
      timeouts: { request: '1m30s', backendRequest: '500ms' },
      retry: { attempts: 3, codes: [503, 503, 502], backoff: '25ms' },
      backendRefs: [backend],
    });
    assert.deepEqual(r.rules[0]?.timeouts, { request: 90_000, backendRequest: 500 });
    assert.deepEqual(r.rules[0]?.retry, { attempts: 3, codes: [503, 502], backoffMs: 25 });
  });

  it('"0s" request timeout disables it and allows any backendRequest', () => {
    const r = oneRule({
      timeouts: { request: '0s', backendRequest: '5s' },
      backendRefs: [backend],
    });
    assert.deepEqual(r.rules[0]?.timeouts, { request: 0, backendRequest: 5000 });
  });
});
