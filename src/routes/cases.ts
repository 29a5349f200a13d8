// The routing table: routes + a call + a request → what happens. Rows pin the
// spec's precedence (httproute_types.go, grpcroute_types.go), GAMMA's producer
// and consumer scopes (GEP-1426), every match form, the filters, and the rewrite
// and redirect cases the v1.6.3 conformance suite checks (conformance/tests/mesh).
// Plain data: the unit test runs it through compile → select → match → plan;
// the end-to-end suites and `kubectl weft route-check` can drive the same rows.
import type { Call } from './select.js';
import type { RouteKind, RouteObject } from './types.js';

export interface RouteCaseRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  host?: string;
}

/** What the row expects; fields left out are not checked. */
export type RouteCaseExpect =
  | { readonly outcome: 'no-routes' }
  | { readonly outcome: 'no-match' }
  | {
      readonly outcome: 'forward';
      readonly route?: string;
      readonly rule?: number;
      readonly ruleName?: string;
      readonly backend?: string;
      readonly target?: string;
      readonly host?: string;
      readonly headers?: Record<string, string | undefined>;
      readonly responseHeaders?: Record<string, string | undefined>;
      readonly mirrors?: readonly string[];
    }
  | {
      readonly outcome: 'redirect';
      readonly status: number;
      readonly location: string;
      readonly route?: string;
    }
  | { readonly outcome: 'error'; readonly status: 500 };

export interface RouteCase {
  readonly name: string;
  readonly routes: readonly RouteObject[];
  readonly call: Call;
  readonly request: RouteCaseRequest;
  /** The values random() returns, in order (then 0.5). */
  readonly random?: readonly number[];
  readonly expect: RouteCaseExpect;
}

export const MESH_NS = 'mesh';
export const CONSUMER_NS = 'consumer';
const T0 = '2026-01-01T00:00:00Z';

/** A call from a client in `from` to echo.mesh:80 (or the given service/port). */
function call(from = MESH_NS, name = 'echo', port = 80): Call {
  return { callerNamespace: from, service: { namespace: MESH_NS, name }, port };
}

interface RouteOpts {
  namespace?: string;
  created?: string;
  kind?: RouteKind;
  parent?: Record<string, unknown>;
}

function route(name: string, rules: unknown[], o: RouteOpts = {}): RouteObject {
  const parent = o.parent ?? {
    group: '',
    kind: 'Service',
    name: 'echo',
    namespace: MESH_NS,
    port: 80,
  };
  return {
    kind: o.kind ?? 'HTTPRoute',
    namespace: o.namespace ?? MESH_NS,
    name,
    creationTimestamp: o.created ?? T0,
    spec: { parentRefs: [parent], rules },
  };
}

const to = (name: string, weight?: number) => ({
  name,
  port: 80,
  ...(weight !== undefined ? { weight } : {}),
});
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });
const exact = (value: string) => ({ path: { type: 'Exact', value } });
const regex = (value: string) => ({ path: { type: 'RegularExpression', value } });
const rule = (matches: unknown[], backend: string, extra: Record<string, unknown> = {}) => ({
  matches,
  backendRefs: [to(backend)],
  ...extra,
});
const get = (path: string, headers: Record<string, string> = {}): RouteCaseRequest => ({
  method: 'GET',
  path,
  headers,
});
const fwd = (
  backend: string,
  extra: Partial<Extract<RouteCaseExpect, { outcome: 'forward' }>> = {},
) => ({ outcome: 'forward', backend, ...extra }) as const;

type Row = [
  string,
  RouteObject[],
  RouteCaseRequest,
  RouteCaseExpect,
  Partial<Omit<RouteCase, 'name' | 'routes' | 'request' | 'expect'>>?,
];

const precedence: Row[] = [
  [
    'an Exact path beats a longer PathPrefix',
    [
      route('r', [
        rule([prefix('/foo/bar/baz')], 'b-prefix'),
        rule([exact('/foo/bar/baz')], 'b-exact'),
      ]),
    ],
    get('/foo/bar/baz'),
    fwd('b-exact', { rule: 1 }),
  ],
  [
    'the longest PathPrefix wins whatever the rule order',
    [
      route('r', [
        rule([prefix('/')], 'b-root'),
        rule([prefix('/v2')], 'b-v2'),
        rule([prefix('/v2/api')], 'b-api'),
      ]),
    ],
    get('/v2/api/x'),
    fwd('b-api', { rule: 2 }),
  ],
  [
    'a PathPrefix matches whole elements only: /v2 does not match /v2example',
    [route('r', [rule([prefix('/')], 'b-root'), rule([prefix('/v2')], 'b-v2')])],
    get('/v2example'),
    fwd('b-root'),
  ],
  [
    'a trailing slash in a PathPrefix is ignored: /v2/ matches /v2',
    [route('r', [rule([prefix('/')], 'b-root'), rule([prefix('/v2/')], 'b-v2')])],
    get('/v2'),
    fwd('b-v2'),
  ],
  [
    'with equal paths, a method match wins over more header matches',
    [
      route('r', [
        rule(
          [
            {
              ...prefix('/'),
              headers: [
                { name: 'a', value: '1' },
                { name: 'b', value: '2' },
              ],
            },
          ],
          'b-headers',
        ),
        rule([{ ...prefix('/'), method: 'GET' }], 'b-method'),
      ]),
    ],
    get('/', { a: '1', b: '2' }),
    fwd('b-method'),
  ],
  [
    'with equal paths and methods, more header matches win',
    [
      route('r', [
        rule([{ headers: [{ name: 'a', value: '1' }] }], 'b-one'),
        rule(
          [
            {
              headers: [
                { name: 'a', value: '1' },
                { name: 'b', value: '2' },
              ],
            },
          ],
          'b-two',
        ),
      ]),
    ],
    get('/', { a: '1', b: '2' }),
    fwd('b-two'),
  ],
  [
    'with equal headers, more query param matches win',
    [
      route('r', [
        rule([{ queryParams: [{ name: 'x', value: '1' }] }], 'b-one'),
        rule(
          [
            {
              queryParams: [
                { name: 'x', value: '1' },
                { name: 'y', value: '2' },
              ],
            },
          ],
          'b-two',
        ),
      ]),
    ],
    get('/?x=1&y=2'),
    fwd('b-two'),
  ],
  [
    'header matches outrank query param matches',
    [
      route('r', [
        rule(
          [
            {
              queryParams: [
                { name: 'x', value: '1' },
                { name: 'y', value: '2' },
              ],
            },
          ],
          'b-query',
        ),
        rule([{ headers: [{ name: 'a', value: '1' }] }], 'b-header'),
      ]),
    ],
    get('/?x=1&y=2', { a: '1' }),
    fwd('b-header'),
  ],
  [
    'across routes, precedence is per match, not per route age',
    [
      route('old', [rule([prefix('/')], 'b-old')], { created: '2020-01-01T00:00:00Z' }),
      route('new', [rule([prefix('/api')], 'b-new')], { created: '2026-01-01T00:00:00Z' }),
    ],
    get('/api/x'),
    fwd('b-new', { route: 'mesh/new' }),
  ],
  [
    'a tie across routes goes to the oldest route',
    [
      route('a-new', [rule([prefix('/api')], 'b-new')], { created: '2026-01-02T00:00:00Z' }),
      route('z-old', [rule([prefix('/api')], 'b-old')], { created: '2026-01-01T00:00:00Z' }),
    ],
    get('/api'),
    fwd('b-old', { route: 'mesh/z-old' }),
  ],
  [
    'a tie across routes of the same age goes to namespace/name alphabetically',
    [
      route('beta', [rule([prefix('/api')], 'b-beta')]),
      route('alpha', [rule([prefix('/api')], 'b-alpha')]),
    ],
    get('/api'),
    fwd('b-alpha', { route: 'mesh/alpha' }),
  ],
  [
    'a tie within a route goes to the first matching rule',
    [route('r', [rule([prefix('/api')], 'b-first'), rule([prefix('/api')], 'b-second')])],
    get('/api'),
    fwd('b-first', { rule: 0 }),
  ],
  [
    'a more precise match of a later rule beats an earlier rule',
    [
      route('r', [
        rule([prefix('/')], 'b-first'),
        rule([{ ...prefix('/'), method: 'GET' }], 'b-second'),
      ]),
    ],
    get('/'),
    fwd('b-second', { rule: 1 }),
  ],
  [
    'a RegularExpression path ranks after every PathPrefix (as Istio)',
    [route('r', [rule([regex('/api/v[0-9]+/.*')], 'b-regex'), rule([prefix('/')], 'b-root')])],
    get('/api/v2/users'),
    fwd('b-root'),
  ],
  [
    'a longer RegularExpression ranks before a shorter one',
    [route('r', [rule([regex('/a.*')], 'b-short'), rule([regex('/a/[a-z]+/.*')], 'b-long')])],
    get('/a/bc/d'),
    fwd('b-long'),
  ],
  [
    'the rule named in the decision is the matching one',
    [
      route('r', [
        { name: 'api', matches: [prefix('/api')], backendRefs: [to('b-api')] },
        rule([prefix('/')], 'b-root'),
      ]),
    ],
    get('/api'),
    fwd('b-api', { rule: 0, ruleName: 'api' }),
  ],
  [
    'a request that no rule matches is a 404 (no-match), not the Service',
    [route('r', [rule([prefix('/api')], 'b-api')])],
    get('/other'),
    { outcome: 'no-match' },
  ],
  [
    'a rule without matches matches every request',
    [route('r', [{ backendRefs: [to('b-all')] }])],
    { method: 'DELETE', path: '/anything?x=1' },
    fwd('b-all'),
  ],
];

const matchForms: Row[] = [
  [
    'Exact path does not match a longer path',
    [route('r', [rule([exact('/exact')], 'b')])],
    get('/exact/more'),
    { outcome: 'no-match' },
  ],
  [
    'the path is matched without its query string',
    [route('r', [rule([exact('/exact')], 'b')])],
    get('/exact?q=1'),
    fwd('b'),
  ],
  [
    'a RegularExpression path must match the whole path',
    [route('r', [rule([regex('/v[0-9]')], 'b')])],
    get('/v1/more'),
    { outcome: 'no-match' },
  ],
  [
    'a RegularExpression path matches the whole path',
    [route('r', [rule([regex('/v[0-9]/.*')], 'b')])],
    get('/v1/more'),
    fwd('b'),
  ],
  [
    'paths are case-sensitive',
    [route('r', [rule([prefix('/API')], 'b')])],
    get('/api'),
    { outcome: 'no-match' },
  ],
  [
    'header names are case-insensitive, values exact',
    [route('r', [rule([{ headers: [{ name: 'X-Version', value: 'v2' }] }], 'b')])],
    get('/', { 'x-version': 'v2' }),
    fwd('b'),
  ],
  [
    'header values are case-sensitive',
    [route('r', [rule([{ headers: [{ name: 'x-version', value: 'v2' }] }], 'b')])],
    get('/', { 'x-version': 'V2' }),
    { outcome: 'no-match' },
  ],
  [
    'a header RegularExpression match',
    [
      route('r', [
        rule(
          [{ headers: [{ type: 'RegularExpression', name: 'x-version', value: 'v[0-9]+' }] }],
          'b',
        ),
      ]),
    ],
    get('/', { 'x-version': 'v12' }),
    fwd('b'),
  ],
  [
    'an absent header does not match even a regex that accepts ""',
    [
      route('r', [
        rule([{ headers: [{ type: 'RegularExpression', name: 'x-version', value: '.*' }] }], 'b'),
      ]),
    ],
    get('/'),
    { outcome: 'no-match' },
  ],
  [
    'repeated request headers are matched joined with ","',
    [route('r', [rule([{ headers: [{ name: 'x-a', value: '1,2' }] }], 'b')])],
    { method: 'GET', path: '/', headers: { 'x-a': ['1', '2'] } },
    fwd('b'),
  ],
  [
    'only the first of two header matches with one name counts',
    [
      route('r', [
        rule(
          [
            {
              headers: [
                { name: 'x-a', value: '1' },
                { name: 'X-A', value: '2' },
              ],
            },
          ],
          'b',
        ),
      ]),
    ],
    get('/', { 'x-a': '1' }),
    fwd('b'),
  ],
  [
    'all headers of a match must hold (AND)',
    [
      route('r', [
        rule(
          [
            {
              headers: [
                { name: 'a', value: '1' },
                { name: 'b', value: '2' },
              ],
            },
          ],
          'b',
        ),
      ]),
    ],
    get('/', { a: '1' }),
    { outcome: 'no-match' },
  ],
  [
    'any match of a rule may hold (OR)',
    [route('r', [rule([exact('/one'), exact('/two')], 'b')])],
    get('/two'),
    fwd('b'),
  ],
  [
    'a query param Exact match (decoded value)',
    [route('r', [rule([{ queryParams: [{ name: 'animal', value: 'whale fish' }] }], 'b')])],
    get('/?animal=whale%20fish'),
    fwd('b'),
  ],
  [
    'query param names are case-sensitive',
    [route('r', [rule([{ queryParams: [{ name: 'animal', value: 'whale' }] }], 'b')])],
    get('/?Animal=whale'),
    { outcome: 'no-match' },
  ],
  [
    'a query param RegularExpression match',
    [
      route('r', [
        rule(
          [{ queryParams: [{ type: 'RegularExpression', name: 'id', value: '[0-9]{1,6}' }] }],
          'b',
        ),
      ]),
    ],
    get('/?id=123456'),
    fwd('b'),
  ],
  [
    'a repeated query param is matched on its first value',
    [route('r', [rule([{ queryParams: [{ name: 'a', value: '1' }] }], 'b')])],
    get('/?a=1&a=2'),
    fwd('b'),
  ],
  [
    'a method match',
    [route('r', [rule([{ method: 'POST' }], 'b-post'), rule([prefix('/')], 'b-other')])],
    { method: 'POST', path: '/' },
    fwd('b-post'),
  ],
  [
    'a method match does not take another method',
    [route('r', [rule([{ method: 'POST' }], 'b-post')])],
    get('/'),
    { outcome: 'no-match' },
  ],
];

const scope: Row[] = [
  [
    'no route attached: the Service as it is',
    [
      route('r', [rule([prefix('/')], 'b')], {
        parent: { group: '', kind: 'Service', name: 'other' },
      }),
    ],
    get('/'),
    { outcome: 'no-routes' },
  ],
  [
    'a producer route applies to callers in other namespaces',
    [route('r', [rule([prefix('/')], 'b')])],
    get('/'),
    fwd('b'),
    { call: call('elsewhere') },
  ],
  [
    'a consumer route applies to callers in its namespace',
    [
      route('producer', [rule([prefix('/')], 'b-producer')]),
      route('consumer', [rule([prefix('/')], 'b-consumer')], { namespace: CONSUMER_NS }),
    ],
    get('/'),
    fwd('b-consumer', { route: 'consumer/consumer' }),
    { call: call(CONSUMER_NS) },
  ],
  [
    "a consumer route replaces the producer routes for its namespace (no merge): the producer's /api rule is gone",
    [
      route('producer', [rule([prefix('/api')], 'b-producer')]),
      route('consumer', [rule([exact('/')], 'b-consumer')], { namespace: CONSUMER_NS }),
    ],
    get('/api'),
    { outcome: 'no-match' },
    { call: call(CONSUMER_NS) },
  ],
  [
    'a consumer route does not apply to callers outside its namespace (MeshConsumerRoute)',
    [
      route(
        'consumer',
        [
          {
            filters: [
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { set: [{ name: 'X-Header-Set', value: 'set' }] },
              },
            ],
            backendRefs: [to('echo-v1')],
          },
        ],
        {
          namespace: CONSUMER_NS,
        },
      ),
    ],
    get('/'),
    { outcome: 'no-routes' },
    { call: call(MESH_NS) },
  ],
  [
    'a route in a third namespace applies to nobody else',
    [route('third', [rule([prefix('/')], 'b')], { namespace: 'third' })],
    get('/'),
    { outcome: 'no-routes' },
    { call: call(CONSUMER_NS) },
  ],
  [
    'a parentRef with a port applies only to that port (MeshPorts)',
    [route('r', [rule([prefix('/')], 'b')])],
    get('/'),
    { outcome: 'no-routes' },
    { call: call(MESH_NS, 'echo', 8080) },
  ],
  [
    'a parentRef without a port applies to every port',
    [
      route('r', [rule([prefix('/')], 'b')], {
        parent: { group: '', kind: 'Service', name: 'echo' },
      }),
    ],
    get('/'),
    fwd('b'),
    { call: call(MESH_NS, 'echo', 8080) },
  ],
  [
    'a parentRef without group is a Gateway reference (CRD default), not a Service',
    [route('r', [rule([prefix('/')], 'b')], { parent: { kind: 'Service', name: 'echo' } })],
    get('/'),
    { outcome: 'no-routes' },
  ],
  [
    'a GRPCRoute on the same Service and port takes precedence over HTTPRoutes',
    [
      route('http', [rule([prefix('/')], 'b-http')], { created: '2020-01-01T00:00:00Z' }),
      route('grpc', [{ backendRefs: [to('b-grpc')] }], { kind: 'GRPCRoute' }),
    ],
    { method: 'POST', path: '/pkg.Svc/Call' },
    fwd('b-grpc', { route: 'mesh/grpc' }),
  ],
  [
    'an invalid route is skipped, the valid ones still apply',
    [
      route('bad', [rule([regex('(a+)+\\1')], 'b-bad')], { created: '2020-01-01T00:00:00Z' }),
      route('good', [rule([prefix('/')], 'b-good')]),
    ],
    get('/aaa'),
    fwd('b-good'),
  ],
];

const grpc = (name: string, rules: unknown[], created?: string) =>
  route(name, rules, { kind: 'GRPCRoute', ...(created ? { created } : {}) });
const gm = (method: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  method,
  ...extra,
});
const call_ = (path: string, headers: Record<string, string> = {}): RouteCaseRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/grpc', ...headers },
});

const grpcRows: Row[] = [
  [
    'gRPC: an Exact service and method',
    [grpc('g', [rule([gm({ service: 'pkg.Echo', method: 'Call' })], 'b')])],
    call_('/pkg.Echo/Call'),
    fwd('b'),
  ],
  [
    'gRPC: service only matches any method',
    [grpc('g', [rule([gm({ service: 'pkg.Echo' })], 'b')])],
    call_('/pkg.Echo/Other'),
    fwd('b'),
  ],
  [
    'gRPC: method only matches any service',
    [grpc('g', [rule([gm({ method: 'Call' })], 'b')])],
    call_('/any.Svc/Call'),
    fwd('b'),
  ],
  [
    'gRPC: the longer service wins',
    [
      grpc('g', [
        rule([gm({ service: 'a.B' })], 'b-short'),
        rule([gm({ service: 'a.Bee' })], 'b-long'),
      ]),
    ],
    call_('/a.Bee/M'),
    fwd('b-long'),
  ],
  [
    'gRPC: with equal services, the longer method wins',
    [
      grpc('g', [
        rule([gm({ service: 'a.B' })], 'b-service'),
        rule([gm({ service: 'a.B', method: 'Get' })], 'b-method'),
      ]),
    ],
    call_('/a.B/Get'),
    fwd('b-method'),
  ],
  [
    'gRPC: with equal service and method, more header matches win',
    [
      grpc('g', [
        rule([gm({ service: 'a.B' })], 'b-plain'),
        rule(
          [gm({ service: 'a.B' }, { headers: [{ name: 'x-env', value: 'canary' }] })],
          'b-canary',
        ),
      ]),
    ],
    call_('/a.B/Get', { 'x-env': 'canary' }),
    fwd('b-canary'),
  ],
  [
    'gRPC: a RegularExpression service',
    [grpc('g', [rule([gm({ type: 'RegularExpression', service: 'pkg\\.v[0-9]+\\.Echo' })], 'b')])],
    call_('/pkg.v2.Echo/Call'),
    fwd('b'),
  ],
  [
    'gRPC: service names are case-sensitive',
    [grpc('g', [rule([gm({ service: 'pkg.Echo' })], 'b')])],
    call_('/pkg.echo/Call'),
    { outcome: 'no-match' },
  ],
  [
    'gRPC: a tie across routes goes to the oldest',
    [
      grpc('a', [rule([gm({ service: 'pkg.Echo' })], 'b-a')], '2026-01-02T00:00:00Z'),
      grpc('b', [rule([gm({ service: 'pkg.Echo' })], 'b-b')], '2026-01-01T00:00:00Z'),
    ],
    call_('/pkg.Echo/Call'),
    fwd('b-b'),
  ],
];

const hm = (
  type: 'RequestHeaderModifier' | 'ResponseHeaderModifier',
  mod: Record<string, unknown>,
) => ({
  type,
  [type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier']: mod,
});
const rewrite = (urlRewrite: Record<string, unknown>) => ({ type: 'URLRewrite', urlRewrite });
const redirectTo = (requestRedirect: Record<string, unknown>) => ({
  type: 'RequestRedirect',
  requestRedirect,
});
const filtered = (m: unknown[], filters: unknown[], backend?: string) => ({
  matches: m,
  filters,
  ...(backend ? { backendRefs: [to(backend)] } : {}),
});
const echo = (path: string, host = 'echo'): RouteCaseRequest => ({
  method: 'GET',
  path,
  host,
  headers: { host },
});

const filters: Row[] = [
  [
    'RequestHeaderModifier: set overwrites, add appends with ",", remove drops (MeshHTTPRouteRequestHeaderModifier)',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [
            hm('RequestHeaderModifier', {
              set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }],
              add: [{ name: 'X-Header-Add', value: 'add-appends-values' }],
              remove: ['X-Header-Remove'],
            }),
          ],
          'b',
        ),
      ]),
    ],
    get('/', {
      'x-header-set': 'some-other-value',
      'x-header-add': 'some-other-value',
      'x-header-remove': 'x',
    }),
    fwd('b', {
      headers: {
        'x-header-set': 'set-overwrites-values',
        'x-header-add': 'some-other-value,add-appends-values',
        'x-header-remove': undefined,
      },
    }),
  ],
  [
    'ResponseHeaderModifier is handed to the response side',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [hm('ResponseHeaderModifier', { set: [{ name: 'X-Header-Set', value: 'set' }] })],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { responseHeaders: { 'x-header-set': 'set' } }),
  ],
  [
    'backendRef header filters apply to that backend only',
    [
      route('r', [
        {
          backendRefs: [
            {
              ...to('b'),
              filters: [hm('RequestHeaderModifier', { add: [{ name: 'X-Backend', value: 'b' }] })],
            },
          ],
        },
      ]),
    ],
    get('/'),
    fwd('b', { headers: { 'x-backend': 'b' } }),
  ],
  [
    'URLRewrite ReplacePrefixMatch /prefix/one → /one (MeshHTTPRouteRewritePath)',
    [
      route('r', [
        filtered(
          [prefix('/prefix/one')],
          [rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' } })],
          'b',
        ),
      ]),
    ],
    echo('/prefix/one/two'),
    fwd('b', { target: '/one/two' }),
  ],
  [
    'URLRewrite ReplacePrefixMatch "/" strips the prefix: /strip-prefix/three → /three',
    [
      route('r', [
        filtered(
          [prefix('/strip-prefix')],
          [rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } })],
          'b',
        ),
      ]),
    ],
    echo('/strip-prefix/three'),
    fwd('b', { target: '/three' }),
  ],
  [
    'URLRewrite ReplacePrefixMatch "/" on the prefix itself gives /',
    [
      route('r', [
        filtered(
          [prefix('/strip-prefix')],
          [rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } })],
          'b',
        ),
      ]),
    ],
    echo('/strip-prefix'),
    fwd('b', { target: '/' }),
  ],
  [
    'URLRewrite ReplacePrefixMatch keeps the query string',
    [
      route('r', [
        filtered(
          [prefix('/foo')],
          [rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz' } })],
          'b',
        ),
      ]),
    ],
    echo('/foo/bar?a=1&b=2'),
    fwd('b', { target: '/xyz/bar?a=1&b=2' }),
  ],
  [
    'URLRewrite ReplacePrefixMatch keeps a trailing slash: /foo/ → /xyz/',
    [
      route('r', [
        filtered(
          [prefix('/foo')],
          [rewrite({ path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/xyz' } })],
          'b',
        ),
      ]),
    ],
    echo('/foo/'),
    fwd('b', { target: '/xyz/' }),
  ],
  [
    'URLRewrite ReplaceFullPath replaces the whole path (/full/one/two → /one)',
    [
      route('r', [
        filtered(
          [prefix('/full/one')],
          [rewrite({ path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } })],
          'b',
        ),
      ]),
    ],
    echo('/full/one/two'),
    fwd('b', { target: '/one' }),
  ],
  [
    'URLRewrite and header modification together (conformance)',
    [
      route('r', [
        filtered(
          [prefix('/full/rewrite-path-and-modify-headers')],
          [
            rewrite({ path: { type: 'ReplaceFullPath', replaceFullPath: '/test' } }),
            hm('RequestHeaderModifier', {
              set: [{ name: 'X-Header-Set', value: 'set-overwrites-values' }],
            }),
          ],
          'b',
        ),
      ]),
    ],
    echo('/full/rewrite-path-and-modify-headers/test'),
    fwd('b', { target: '/test', headers: { 'x-header-set': 'set-overwrites-values' } }),
  ],
  [
    'URLRewrite hostname replaces the Host header',
    [route('r', [filtered([prefix('/')], [rewrite({ hostname: 'elsewhere.example' })], 'b')])],
    echo('/x'),
    fwd('b', { host: 'elsewhere.example', headers: { host: 'elsewhere.example' } }),
  ],
  [
    'RequestMirror sends a copy to its backend (no percent: every request)',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [{ type: 'RequestMirror', requestMirror: { backendRef: to('shadow') } }],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { mirrors: ['shadow'] }),
  ],
  [
    'RequestMirror percent 10: random 0.05 mirrors',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [{ type: 'RequestMirror', requestMirror: { backendRef: to('shadow'), percent: 10 } }],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { mirrors: ['shadow'] }),
    { random: [0.05] },
  ],
  [
    'RequestMirror percent 10: random 0.1 does not',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [{ type: 'RequestMirror', requestMirror: { backendRef: to('shadow'), percent: 10 } }],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { mirrors: [] }),
    { random: [0.1] },
  ],
  [
    'RequestMirror fraction 1/3: random 0.34 does not',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [
            {
              type: 'RequestMirror',
              requestMirror: {
                backendRef: to('shadow'),
                fraction: { numerator: 1, denominator: 3 },
              },
            },
          ],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { mirrors: [] }),
    { random: [0.34] },
  ],
  [
    'RequestMirror percent 0 never mirrors',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [{ type: 'RequestMirror', requestMirror: { backendRef: to('shadow'), percent: 0 } }],
          'b',
        ),
      ]),
    ],
    get('/'),
    fwd('b', { mirrors: [] }),
    { random: [0] },
  ],
  [
    'weights 90/10: random 0.89 picks the first',
    [route('r', [{ backendRefs: [to('v1', 90), to('v2', 10)] }])],
    get('/'),
    fwd('v1'),
    { random: [0.89] },
  ],
  [
    'weights 90/10: random 0.9 picks the second',
    [route('r', [{ backendRefs: [to('v1', 90), to('v2', 10)] }])],
    get('/'),
    fwd('v2'),
    { random: [0.9] },
  ],
  [
    'weight 0 is never picked',
    [route('r', [{ backendRefs: [to('v0', 0), to('v1', 1)] }])],
    get('/'),
    fwd('v1'),
    { random: [0] },
  ],
  [
    'every weight 0 is a 500',
    [route('r', [{ backendRefs: [to('v0', 0)] }])],
    get('/'),
    { outcome: 'error', status: 500 },
  ],
  [
    'a rule with no backendRefs and no redirect is a 500',
    [route('r', [{ matches: [prefix('/')] }])],
    get('/'),
    { outcome: 'error', status: 500 },
  ],
];

const redirects: Row[] = [
  [
    'redirect: default status 302, the port called kept off when it is 80',
    [route('r', [filtered([prefix('/')], [redirectTo({ hostname: 'example.org' })])])],
    echo('/path-and-host'),
    { outcome: 'redirect', status: 302, location: 'http://example.org/path-and-host' },
  ],
  [
    'redirect: scheme https and no port → 443, left out (MeshHTTPRouteRedirectScheme)',
    [route('r', [filtered([prefix('/scheme')], [redirectTo({ scheme: 'https' })])])],
    echo('/scheme'),
    { outcome: 'redirect', status: 302, location: 'https://echo/scheme' },
  ],
  [
    'redirect: scheme http and no port → 80, left out even when port 8080 was called',
    [
      route('r', [filtered([prefix('/')], [redirectTo({ scheme: 'http' })])], {
        parent: { group: '', kind: 'Service', name: 'echo' },
      }),
    ],
    echo('/x', 'echo:8080'),
    { outcome: 'redirect', status: 302, location: 'http://echo/x' },
    { call: call(MESH_NS, 'echo', 8080) },
  ],
  [
    'redirect: no scheme and no port → the port called, shown when not 80',
    [
      route('r', [filtered([prefix('/')], [redirectTo({ hostname: 'example.org' })])], {
        parent: { group: '', kind: 'Service', name: 'echo' },
      }),
    ],
    echo('/x', 'echo:8080'),
    { outcome: 'redirect', status: 302, location: 'http://example.org:8080/x' },
    { call: call(MESH_NS, 'echo', 8080) },
  ],
  [
    'redirect: port 8083 (MeshHTTPRouteRedirectPort)',
    [route('r', [filtered([prefix('/port')], [redirectTo({ port: 8083 })])])],
    echo('/port'),
    { outcome: 'redirect', status: 302, location: 'http://echo:8083/port' },
  ],
  [
    'redirect: port and host and status 301',
    [
      route('r', [
        filtered(
          [prefix('/')],
          [redirectTo({ port: 8083, hostname: 'example.org', statusCode: 301 })],
        ),
      ]),
    ],
    echo('/port-and-host-and-status'),
    {
      outcome: 'redirect',
      status: 301,
      location: 'http://example.org:8083/port-and-host-and-status',
    },
  ],
  [
    'redirect: https with port 443 given leaves it out',
    [route('r', [filtered([prefix('/')], [redirectTo({ scheme: 'https', port: 443 })])])],
    echo('/a'),
    { outcome: 'redirect', status: 302, location: 'https://echo/a' },
  ],
  [
    'redirect: https with port 8443 shows it',
    [route('r', [filtered([prefix('/')], [redirectTo({ scheme: 'https', port: 8443 })])])],
    echo('/a'),
    { outcome: 'redirect', status: 302, location: 'https://echo:8443/a' },
  ],
  [
    'redirect: the request Host port is never carried over',
    [route('r', [filtered([prefix('/')], [redirectTo({ statusCode: 301 })])])],
    echo('/a', 'echo:80'),
    { outcome: 'redirect', status: 301, location: 'http://echo/a' },
  ],
  [
    'redirect: ReplacePrefixMatch (MeshHTTPRouteRedirectPath)',
    [
      route('r', [
        filtered(
          [prefix('/original-prefix')],
          [
            redirectTo({
              path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' },
            }),
          ],
        ),
      ]),
    ],
    echo('/original-prefix/lemon'),
    { outcome: 'redirect', status: 302, location: 'http://echo/replacement-prefix/lemon' },
  ],
  [
    'redirect: ReplaceFullPath',
    [
      route('r', [
        filtered(
          [prefix('/full')],
          [
            redirectTo({
              path: { type: 'ReplaceFullPath', replaceFullPath: '/full-path-replacement' },
            }),
          ],
        ),
      ]),
    ],
    echo('/full/path/original'),
    { outcome: 'redirect', status: 302, location: 'http://echo/full-path-replacement' },
  ],
  [
    'redirect: keeps the query string',
    [route('r', [filtered([prefix('/')], [redirectTo({ hostname: 'example.org' })])])],
    echo('/a?x=1'),
    { outcome: 'redirect', status: 302, location: 'http://example.org/a?x=1' },
  ],
  ...[303, 307, 308].map((status): Row => [
    `redirect: status ${status} (MeshHTTPRoute${status}Redirect)`,
    [route('r', [filtered([prefix('/')], [redirectTo({ statusCode: status })])])],
    echo('/a'),
    { outcome: 'redirect', status, location: 'http://echo/a' },
  ]),
  [
    'redirect: IPv6 Host keeps its brackets and drops its port',
    [route('r', [filtered([prefix('/')], [redirectTo({ port: 8083 })])])],
    echo('/a', '[2001:db8::1]:80'),
    { outcome: 'redirect', status: 302, location: 'http://[2001:db8::1]:8083/a' },
  ],
];

export const ROUTE_CASES: readonly RouteCase[] = [
  ...precedence,
  ...matchForms,
  ...scope,
  ...grpcRows,
  ...filters,
  ...redirects,
].map(([name, routes, request, expect, extra]) => ({
  name,
  routes,
  request,
  expect,
  call: extra?.call ?? call(),
  ...(extra?.random ? { random: extra.random } : {}),
}));
