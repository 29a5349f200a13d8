// The authorization table: policies + a request → the decision and what decided
// it. Built from Istio's AuthorizationPolicy reference, its authorization tasks
// (HTTP, TCP, explicit deny, dry run) and issues (#24665, #53048); each case
// says which behaviour it pins. Plain data: the unit test runs it against
// evaluate(), and the end-to-end suites drive the sidecar and `kubectl weft
// authz check` with the same rows.
import type { AuthzRequest, Decision, PolicyObject, Workload } from './types.js';

export interface AuthzCase {
  readonly name: string;
  /** Every policy in the cluster; selectPolicies picks the workload's. */
  readonly policies: readonly PolicyObject[];
  readonly workload: Workload;
  readonly request: AuthzRequest;
  readonly expect: {
    readonly allow: boolean;
    readonly reason: Decision['reason'];
    readonly policy?: string;
    readonly rule?: number;
    readonly audit?: Decision['audit'];
    readonly dryRun?: Decision['dryRun'];
  };
}

/** The workload under test: httpbin in foo, as in Istio's tasks. */
export const HTTPBIN: Workload = { namespace: 'foo', labels: { app: 'httpbin', version: 'v1' } };
export const CASE_ADDRESSES = {
  client: '198.51.100.20',
  server: '198.51.100.10',
  other: '203.0.113.7',
} as const;

export const PEERS = {
  curl: 'spiffe://cluster.local/ns/foo/sa/curl',
  admin: 'spiffe://cluster.local/ns/bar/sa/admin',
  web: 'spiffe://cluster.local/ns/bar/sa/web',
} as const;

interface Req {
  peer?: string | undefined;
  ip?: string;
  remoteIp?: string;
  port?: number;
  host?: string;
  headers?: Record<string, string | string[]>;
  sni?: string;
  destinationIp?: string;
}

/** An HTTP request to httpbin (port 8000 unless given). */
function http(method: string, path: string, r: Req = {}): AuthzRequest {
  return {
    source: {
      ...(r.peer ? { principal: r.peer } : {}),
      ip: r.ip ?? CASE_ADDRESSES.client,
      ...(r.remoteIp ? { remoteIp: r.remoteIp } : {}),
    },
    destination: { ip: r.destinationIp ?? CASE_ADDRESSES.server, port: r.port ?? 8000 },
    ...(r.sni ? { sni: r.sni } : {}),
    http: { method, path, host: r.host ?? 'httpbin.foo:8000', headers: r.headers ?? {} },
  };
}

/** A TCP connection to httpbin's port 9000 (or the one given). */
function tcp(r: Req = {}): AuthzRequest {
  const { http: _, ...rest } = http('GET', '/', { ...r, port: r.port ?? 9000 });
  return rest;
}

const curl = { peer: PEERS.curl };
const admin = { peer: PEERS.admin };
const plaintext = { peer: undefined };

function policy(
  name: string,
  spec: unknown,
  namespace = 'foo',
  annotations?: Record<string, string>,
): PolicyObject {
  return { namespace, name, spec, ...(annotations ? { annotations } : {}) };
}
const allow = (name: string, rules: unknown[], extra: object = {}): PolicyObject =>
  policy(name, { action: 'ALLOW', rules, ...extra });
const deny = (name: string, rules: unknown[], extra: object = {}): PolicyObject =>
  policy(name, { action: 'DENY', rules, ...extra });
const from = (source: object): object => ({ from: [{ source }] });
const to = (operation: object): object => ({ to: [{ operation }] });
const when = (...conditions: object[]): object => ({ when: conditions });

const ALLOWED = (policy: string, rule = 0) =>
  ({ allow: true, reason: 'allowed-by-policy', policy, rule }) as const;
const DENIED = (policy: string, rule = 0) =>
  ({ allow: false, reason: 'denied-by-policy', policy, rule }) as const;
const NO_MATCH = { allow: false, reason: 'no-allow-matched' } as const;
const DEFAULT = { allow: true, reason: 'default-allow' } as const;

type Row = [string, PolicyObject[], AuthzRequest, AuthzCase['expect'], Workload?];

const evaluationOrder: Row[] = [
  ['no policy: allow', [], http('GET', '/'), DEFAULT],
  [
    'DENY that does not match, no ALLOW: allow',
    [deny('d', [to({ methods: ['POST'] })])],
    http('GET', '/'),
    DEFAULT,
  ],
  [
    'matching DENY denies',
    [deny('d', [to({ methods: ['GET'] })])],
    http('GET', '/'),
    DENIED('foo/d'),
  ],
  [
    'DENY wins over a matching ALLOW',
    [allow('a', [{}]), deny('d', [to({ paths: ['/admin*'] })])],
    http('GET', '/admin/x', curl),
    DENIED('foo/d'),
  ],
  [
    'matching ALLOW allows',
    [allow('a', [from({ principals: ['cluster.local/ns/foo/sa/curl'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'ALLOW present but not matching: deny',
    [allow('a', [to({ methods: ['POST'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  ['allow-nothing: spec {}', [policy('allow-nothing', {})], http('GET', '/', curl), NO_MATCH],
  ['allow-nothing: ALLOW with rules: []', [allow('a', [])], http('GET', '/', curl), NO_MATCH],
  [
    'allow-all: rules: [{}]',
    [allow('allow-all', [{}])],
    http('GET', '/', plaintext),
    ALLOWED('foo/allow-all'),
  ],
  [
    'deny-all: DENY rules: [{}]',
    [deny('deny-all', [{}])],
    http('GET', '/', curl),
    DENIED('foo/deny-all'),
  ],
  ['DENY without rules matches nothing', [deny('d', [])], http('GET', '/', curl), DEFAULT],
  [
    'several ALLOW policies: any one allows',
    [allow('a', [to({ methods: ['POST'] })]), allow('b', [to({ methods: ['GET'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/b'),
  ],
  [
    'rules are ORed; the deciding rule is named',
    [allow('a', [to({ methods: ['POST'] }), to({ paths: ['/ip'] })])],
    http('GET', '/ip', curl),
    ALLOWED('foo/a', 1),
  ],
  [
    'the first matching DENY by name decides',
    [deny('z', [{}]), deny('b', [to({ methods: ['GET'] })])],
    http('GET', '/', curl),
    DENIED('foo/b'),
  ],
];

const sources: Row[] = [
  [
    'principals exact',
    [allow('a', [from({ principals: ['cluster.local/ns/foo/sa/curl'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'principals exact, other peer',
    [allow('a', [from({ principals: ['cluster.local/ns/foo/sa/curl'] })])],
    http('GET', '/', admin),
    NO_MATCH,
  ],
  [
    'principals prefix*',
    [allow('a', [from({ principals: ['cluster.local/ns/bar/*'] })])],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
  [
    'principals *suffix',
    [allow('a', [from({ principals: ['*/sa/curl'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'principals * matches any verified peer',
    [allow('a', [from({ principals: ['*'] })])],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
  [
    'principals * never matches plaintext',
    [allow('a', [from({ principals: ['*'] })])],
    http('GET', '/', plaintext),
    NO_MATCH,
  ],
  [
    'notPrincipals excludes a peer',
    [
      allow('a', [
        from({ notPrincipals: ['cluster.local/ns/bar/admin', 'cluster.local/ns/bar/sa/admin'] }),
      ]),
    ],
    http('GET', '/', admin),
    NO_MATCH,
  ],
  [
    'notPrincipals lets others in',
    [allow('a', [from({ notPrincipals: ['cluster.local/ns/bar/sa/admin'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'ALLOW notPrincipals never matches plaintext',
    [allow('a', [from({ notPrincipals: ['cluster.local/ns/bar/sa/admin'] })])],
    http('GET', '/', plaintext),
    NO_MATCH,
  ],
  [
    'DENY notPrincipals ["*"] denies plaintext (Istio: require mTLS)',
    [deny('require-mtls', [from({ notPrincipals: ['*'] })])],
    http('GET', '/', plaintext),
    DENIED('foo/require-mtls'),
  ],
  [
    'DENY notPrincipals ["*"] lets mTLS through',
    [deny('require-mtls', [from({ notPrincipals: ['*'] })])],
    http('GET', '/', curl),
    DEFAULT,
  ],
  [
    'namespaces',
    [allow('a', [from({ namespaces: ['bar'] })])],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
  [
    'namespaces, other namespace',
    [allow('a', [from({ namespaces: ['bar'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'namespaces never match plaintext',
    [allow('a', [from({ namespaces: ['*'] })])],
    http('GET', '/', plaintext),
    NO_MATCH,
  ],
  [
    'notNamespaces in ALLOW',
    [allow('a', [from({ notNamespaces: ['bar'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'DENY notNamespaces denies other namespaces',
    [deny('d', [from({ notNamespaces: ['foo'] })])],
    http('GET', '/', admin),
    DENIED('foo/d'),
  ],
  [
    'DENY notNamespaces denies plaintext',
    [deny('d', [from({ notNamespaces: ['foo'] })])],
    http('GET', '/', plaintext),
    DENIED('foo/d'),
  ],
  [
    'serviceAccounts ns/sa',
    [allow('a', [from({ serviceAccounts: ['foo/curl'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'serviceAccounts, other account',
    [allow('a', [from({ serviceAccounts: ['foo/curl'] })])],
    http('GET', '/', admin),
    NO_MATCH,
  ],
  [
    'notServiceAccounts',
    [allow('a', [from({ notServiceAccounts: ['foo/curl'] })])],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
  [
    'ipBlocks single address',
    [allow('a', [from({ ipBlocks: ['198.51.100.20'] })])],
    http('GET', '/', plaintext),
    ALLOWED('foo/a'),
  ],
  [
    'ipBlocks CIDR',
    [allow('a', [from({ ipBlocks: ['198.51.100.0/24'] })])],
    http('GET', '/', plaintext),
    ALLOWED('foo/a'),
  ],
  [
    'ipBlocks CIDR, outside',
    [allow('a', [from({ ipBlocks: ['198.51.100.0/28'] })])],
    http('GET', '/', { ip: '198.51.100.200' }),
    NO_MATCH,
  ],
  [
    'notIpBlocks',
    [deny('d', [from({ notIpBlocks: ['198.51.100.0/24'] })])],
    http('GET', '/', { ip: CASE_ADDRESSES.other }),
    DENIED('foo/d'),
  ],
  [
    'ipBlocks IPv6 CIDR',
    [allow('a', [from({ ipBlocks: ['2001:db8:1::/48'] })])],
    http('GET', '/', { ip: '2001:db8:1:2::5' }),
    ALLOWED('foo/a'),
  ],
  [
    'ipBlocks IPv6 CIDR, outside',
    [allow('a', [from({ ipBlocks: ['2001:db8:1::/48'] })])],
    http('GET', '/', { ip: '2001:db8:2::5' }),
    NO_MATCH,
  ],
  [
    'an IPv4 block matches an IPv4-mapped IPv6 peer',
    [allow('a', [from({ ipBlocks: ['198.51.100.0/24'] })])],
    http('GET', '/', { ip: '::ffff:198.51.100.20' }),
    ALLOWED('foo/a'),
  ],
  [
    'remoteIpBlocks use the original client',
    [allow('a', [from({ remoteIpBlocks: ['203.0.113.0/24'] })])],
    http('GET', '/', { remoteIp: CASE_ADDRESSES.other }),
    ALLOWED('foo/a'),
  ],
  [
    'remoteIpBlocks fall back to the peer address',
    [allow('a', [from({ remoteIpBlocks: ['203.0.113.0/24'] })])],
    http('GET', '/', {}),
    NO_MATCH,
  ],
  [
    'notRemoteIpBlocks',
    [deny('d', [from({ notRemoteIpBlocks: ['198.51.100.0/24'] })])],
    http('GET', '/', { remoteIp: CASE_ADDRESSES.other }),
    DENIED('foo/d'),
  ],
  [
    'fields of one source are ANDed',
    [
      allow('a', [
        from({ principals: ['cluster.local/ns/foo/sa/curl'], ipBlocks: ['203.0.113.0/24'] }),
      ]),
    ],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'from entries are ORed',
    [
      allow('a', [
        {
          from: [
            { source: { principals: ['cluster.local/ns/foo/sa/curl'] } },
            { source: { namespaces: ['bar'] } },
          ],
        },
      ]),
    ],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
];

const operations: Row[] = [
  [
    'methods',
    [allow('a', [to({ methods: ['GET', 'HEAD'] })])],
    http('HEAD', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'methods, other method',
    [allow('a', [to({ methods: ['GET'] })])],
    http('POST', '/', curl),
    NO_MATCH,
  ],
  [
    'notMethods',
    [deny('d', [to({ notMethods: ['GET'] })])],
    http('DELETE', '/', curl),
    DENIED('foo/d'),
  ],
  [
    'paths exact',
    [allow('a', [to({ paths: ['/ip'] })])],
    http('GET', '/ip', curl),
    ALLOWED('foo/a'),
  ],
  [
    'paths exact is not a prefix',
    [allow('a', [to({ paths: ['/ip'] })])],
    http('GET', '/ipx', curl),
    NO_MATCH,
  ],
  [
    'paths prefix*',
    [allow('a', [to({ paths: ['/info*'] })])],
    http('GET', '/info/1', curl),
    ALLOWED('foo/a'),
  ],
  [
    'paths *suffix',
    [allow('a', [to({ paths: ['*/stats'] })])],
    http('GET', '/x/stats', curl),
    ALLOWED('foo/a'),
  ],
  [
    'paths * (present)',
    [allow('a', [to({ paths: ['*'] })])],
    http('GET', '/anything', curl),
    ALLOWED('foo/a'),
  ],
  [
    'paths ignore the query string',
    [allow('a', [to({ paths: ['/ip'] })])],
    http('GET', '/ip?x=1', curl),
    ALLOWED('foo/a'),
  ],
  [
    'path template {*} matches one segment',
    [allow('a', [to({ paths: ['/users/{*}/profile'] })])],
    http('GET', '/users/7/profile', curl),
    ALLOWED('foo/a'),
  ],
  [
    'path template {*} does not cross a /',
    [allow('a', [to({ paths: ['/users/{*}'] })])],
    http('GET', '/users/7/profile', curl),
    NO_MATCH,
  ],
  [
    'path template {**} matches several segments',
    [allow('a', [to({ paths: ['/static/{**}'] })])],
    http('GET', '/static/css/a.css', curl),
    ALLOWED('foo/a'),
  ],
  [
    'path template {**} with a suffix',
    [allow('a', [to({ paths: ['/media/{**}.mp4'] })])],
    http('GET', '/media/a/b.mp4', curl),
    ALLOWED('foo/a'),
  ],
  [
    'DENY by path prefix',
    [deny('d', [to({ paths: ['/admin*'] })])],
    http('GET', '/admin/users', curl),
    DENIED('foo/d'),
  ],
  [
    'DENY by path prefix, other path',
    [deny('d', [to({ paths: ['/admin*'] })])],
    http('GET', '/public', curl),
    DEFAULT,
  ],
  [
    'notPaths',
    [allow('a', [to({ notPaths: ['/admin*'] })])],
    http('GET', '/admin', curl),
    NO_MATCH,
  ],
  [
    'hosts are case-insensitive',
    [allow('a', [to({ hosts: ['HTTPBIN.example.com'] })])],
    http('GET', '/', { ...curl, host: 'httpbin.EXAMPLE.com' }),
    ALLOWED('foo/a'),
  ],
  [
    'hosts *suffix',
    [allow('a', [to({ hosts: ['*.example.com'] })])],
    http('GET', '/', { ...curl, host: 'api.example.com' }),
    ALLOWED('foo/a'),
  ],
  [
    'notHosts',
    [deny('d', [to({ notHosts: ['httpbin.foo*'] })])],
    http('GET', '/', { ...curl, host: 'evil.example.com' }),
    DENIED('foo/d'),
  ],
  ['ports', [allow('a', [to({ ports: ['8000'] })])], http('GET', '/', curl), ALLOWED('foo/a')],
  ['ports, other port', [allow('a', [to({ ports: ['8080'] })])], http('GET', '/', curl), NO_MATCH],
  [
    'notPorts',
    [deny('d', [to({ notPorts: ['8000'] })])],
    http('GET', '/', { ...curl, port: 8443 }),
    DENIED('foo/d'),
  ],
  [
    'to entries are ORed (Istio: GET /info* or POST /data)',
    [
      allow('a', [
        {
          to: [
            { operation: { methods: ['GET'], paths: ['/info*'] } },
            { operation: { methods: ['POST'], paths: ['/data'] } },
          ],
        },
      ]),
    ],
    http('POST', '/data', curl),
    ALLOWED('foo/a'),
  ],
  [
    'fields of one operation are ANDed',
    [
      allow('a', [
        {
          to: [
            { operation: { methods: ['GET'], paths: ['/info*'] } },
            { operation: { methods: ['POST'], paths: ['/data'] } },
          ],
        },
      ]),
    ],
    http('POST', '/info', curl),
    NO_MATCH,
  ],
];

const conditions: Row[] = [
  [
    'request.headers value',
    [allow('a', [when({ key: 'request.headers[x-token]', values: ['admin'] })])],
    http('GET', '/', { ...curl, headers: { 'x-token': 'admin' } }),
    ALLOWED('foo/a'),
  ],
  [
    'request.headers name is case-insensitive',
    [allow('a', [when({ key: 'request.headers[X-Token]', values: ['admin'] })])],
    http('GET', '/', { ...curl, headers: { 'x-token': 'admin' } }),
    ALLOWED('foo/a'),
  ],
  [
    'request.headers absent',
    [allow('a', [when({ key: 'request.headers[x-token]', values: ['*'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'request.headers prefix value',
    [allow('a', [when({ key: 'request.headers[user-agent]', values: ['curl/*'] })])],
    http('GET', '/', { ...curl, headers: { 'user-agent': 'curl/8.5' } }),
    ALLOWED('foo/a'),
  ],
  [
    'request.headers notValues',
    [deny('d', [when({ key: 'request.headers[x-env]', notValues: ['prod'] })])],
    http('GET', '/', { ...curl, headers: { 'x-env': 'dev' } }),
    DENIED('foo/d'),
  ],
  [
    'request.headers with several values are joined',
    [allow('a', [when({ key: 'request.headers[x-a]', values: ['1,2'] })])],
    http('GET', '/', { ...curl, headers: { 'x-a': ['1', '2'] } }),
    ALLOWED('foo/a'),
  ],
  [
    'source.ip condition',
    [allow('a', [when({ key: 'source.ip', values: ['198.51.100.0/24'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'remote.ip condition',
    [deny('d', [when({ key: 'remote.ip', values: ['203.0.113.7'] })])],
    http('GET', '/', { ...curl, remoteIp: CASE_ADDRESSES.other }),
    DENIED('foo/d'),
  ],
  [
    'destination.ip condition',
    [allow('a', [when({ key: 'destination.ip', values: ['198.51.100.10'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'destination.port condition',
    [allow('a', [when({ key: 'destination.port', values: ['8000'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'source.namespace condition',
    [allow('a', [when({ key: 'source.namespace', values: ['bar'] })])],
    http('GET', '/', admin),
    ALLOWED('foo/a'),
  ],
  [
    'source.namespace condition, plaintext',
    [allow('a', [when({ key: 'source.namespace', notValues: ['bar'] })])],
    http('GET', '/', plaintext),
    NO_MATCH,
  ],
  [
    'source.principal condition',
    [allow('a', [when({ key: 'source.principal', values: ['cluster.local/ns/foo/sa/curl'] })])],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'connection.sni condition',
    [allow('a', [when({ key: 'connection.sni', values: ['*.foo.svc.cluster.local'] })])],
    http('GET', '/', { ...curl, sni: 'httpbin.foo.svc.cluster.local' }),
    ALLOWED('foo/a'),
  ],
  [
    'conditions are ANDed',
    [
      allow('a', [
        when(
          { key: 'source.namespace', values: ['foo'] },
          { key: 'destination.port', values: ['9090'] },
        ),
      ]),
    ],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'values and notValues together',
    [allow('a', [when({ key: 'request.headers[x-v]', values: ['v*'], notValues: ['v0'] })])],
    http('GET', '/', { ...curl, headers: { 'x-v': 'v0' } }),
    NO_MATCH,
  ],
];

const combinations: Row[] = [
  [
    'a rule needs one from AND one to AND every when',
    [
      allow('a', [
        {
          ...from({ principals: ['cluster.local/ns/foo/sa/curl'] }),
          ...to({ methods: ['GET'] }),
          ...when({ key: 'request.headers[x-ok]', values: ['1'] }),
        },
      ]),
    ],
    http('GET', '/', { ...curl, headers: { 'x-ok': '1' } }),
    ALLOWED('foo/a'),
  ],
  [
    'from matches, to does not: no match',
    [
      allow('a', [
        { ...from({ principals: ['cluster.local/ns/foo/sa/curl'] }), ...to({ methods: ['GET'] }) },
      ]),
    ],
    http('POST', '/', curl),
    NO_MATCH,
  ],
  [
    '#24665: from and to as separate rules let anyone reach the path',
    [
      allow('a', [
        from({ principals: ['cluster.local/ns/foo/sa/curl'] }),
        to({ paths: ['/admin*'] }),
      ]),
    ],
    http('GET', '/admin', admin),
    ALLOWED('foo/a', 1),
  ],
  [
    '#24665: from and to in one rule require both',
    [
      allow('a', [
        {
          ...from({ principals: ['cluster.local/ns/foo/sa/curl'] }),
          ...to({ paths: ['/admin*'] }),
        },
      ]),
    ],
    http('GET', '/admin', admin),
    NO_MATCH,
  ],
];

const tcpRows: Row[] = [
  ['TCP: ALLOW by port', [allow('a', [to({ ports: ['9000'] })])], tcp(curl), ALLOWED('foo/a')],
  [
    'TCP: ALLOW by principal (#53048)',
    [allow('a', [from({ principals: ['cluster.local/ns/foo/sa/curl'] })])],
    tcp(curl),
    ALLOWED('foo/a'),
  ],
  [
    'TCP: ALLOW rule with methods is ignored',
    [allow('a', [to({ methods: ['GET'], ports: ['9000'] })])],
    tcp(curl),
    NO_MATCH,
  ],
  [
    'TCP: ALLOW rule with a header condition is ignored',
    [allow('a', [when({ key: 'request.headers[x]', values: ['*'] })])],
    tcp(curl),
    NO_MATCH,
  ],
  [
    'TCP: the ignored rule does not hide a TCP rule',
    [allow('a', [to({ methods: ['GET'] }), to({ ports: ['9000'] })])],
    tcp(curl),
    ALLOWED('foo/a', 1),
  ],
  [
    'TCP: DENY with methods denies every connection to its port',
    [deny('d', [to({ methods: ['GET'], ports: ['9000'] })])],
    tcp(curl),
    DENIED('foo/d'),
  ],
  [
    'TCP: DENY with paths still checks the port',
    [deny('d', [to({ paths: ['/x'], ports: ['9001'] })])],
    tcp(curl),
    DEFAULT,
  ],
  [
    'TCP: DENY with paths still checks principals',
    [
      deny('d', [
        { ...from({ principals: ['cluster.local/ns/bar/sa/admin'] }), ...to({ paths: ['/x'] }) },
      ]),
    ],
    tcp(curl),
    DEFAULT,
  ],
  [
    'TCP: plaintext never matches a principal rule',
    [allow('a', [from({ principals: ['*'] })])],
    tcp(plaintext),
    NO_MATCH,
  ],
];

const web: Workload = { namespace: 'foo', labels: { app: 'web' } };
const scope: Row[] = [
  [
    'root namespace without selector: mesh-wide',
    [policy('deny-all', { action: 'DENY', rules: [{}] }, 'weft-system')],
    http('GET', '/', curl),
    DENIED('weft-system/deny-all'),
  ],
  [
    'a policy in another namespace does not apply',
    [policy('deny-all', { action: 'DENY', rules: [{}] }, 'bar')],
    http('GET', '/', curl),
    DEFAULT,
  ],
  [
    'selector matches the pod labels',
    [allow('a', [{}], { selector: { matchLabels: { app: 'httpbin' } } })],
    http('GET', '/', curl),
    ALLOWED('foo/a'),
  ],
  [
    'selector on other labels does not apply',
    [policy('a', { selector: { matchLabels: { app: 'httpbin' } } })],
    http('GET', '/', curl),
    DEFAULT,
    web,
  ],
  [
    'no selector: namespace-wide',
    [policy('allow-nothing', {})],
    http('GET', '/', curl),
    NO_MATCH,
    web,
  ],
  [
    'root namespace with selector: matching workloads in every namespace',
    [
      policy(
        'r',
        { action: 'DENY', selector: { matchLabels: { version: 'v1' } }, rules: [{}] },
        'weft-system',
      ),
    ],
    http('GET', '/', curl),
    DENIED('weft-system/r'),
  ],
  [
    'mesh-wide DENY beats a namespace ALLOW',
    [
      allow('a', [{}]),
      policy('d', { action: 'DENY', rules: [to({ paths: ['/admin*'] })] }, 'weft-system'),
    ],
    http('GET', '/admin', curl),
    DENIED('weft-system/d'),
  ],
  [
    'mesh-wide ALLOW and namespace ALLOW: either allows',
    [
      policy('m', { rules: [to({ methods: ['GET'] })] }, 'weft-system'),
      allow('a', [to({ methods: ['POST'] })]),
    ],
    http('POST', '/', curl),
    ALLOWED('foo/a'),
  ],
];

const DRY = { 'weft.dev/dry-run': 'true' };
const observe: Row[] = [
  [
    'dry-run DENY reports, does not enforce',
    [policy('d', { action: 'DENY', rules: [{}] }, 'foo', DRY)],
    http('GET', '/', curl),
    { ...DEFAULT, dryRun: [{ policy: 'foo/d', rule: 0, wouldAllow: false }] },
  ],
  [
    'dry-run ALLOW that does not match would deny',
    [policy('a', { rules: [to({ methods: ['POST'] })] }, 'foo', DRY)],
    http('GET', '/', curl),
    { ...DEFAULT, dryRun: [{ policy: 'foo/a', rule: -1, wouldAllow: false }] },
  ],
  [
    'dry-run ALLOW that matches would allow',
    [policy('a', { rules: [to({ methods: ['GET'] })] }, 'foo', DRY)],
    http('GET', '/', curl),
    { ...DEFAULT, dryRun: [{ policy: 'foo/a', rule: 0, wouldAllow: true }] },
  ],
  [
    'dry-run ALLOW does not turn on deny-by-default',
    [policy('a', {}, 'foo', DRY)],
    http('GET', '/', curl),
    { ...DEFAULT, dryRun: [{ policy: 'foo/a', rule: -1, wouldAllow: false }] },
  ],
  [
    'AUDIT marks, allows',
    [policy('audit', { action: 'AUDIT', rules: [to({ paths: ['/data'] })] })],
    http('GET', '/data', curl),
    { ...DEFAULT, audit: [{ policy: 'foo/audit', rule: 0 }] },
  ],
  [
    'AUDIT does not change a deny',
    [policy('audit', { action: 'AUDIT', rules: [{}] }), deny('d', [{}])],
    http('GET', '/', curl),
    { ...DENIED('foo/d'), audit: [{ policy: 'foo/audit', rule: 0 }] },
  ],
  [
    'AUDIT is not an ALLOW policy',
    [policy('audit', { action: 'AUDIT', rules: [to({ paths: ['/x'] })] })],
    http('GET', '/', curl),
    { ...DEFAULT, audit: [] },
  ],
];

const invalid: Row[] = [
  [
    'invalid DENY denies its whole scope',
    [deny('d', [from({ ipBlocks: ['not-an-ip'] })])],
    http('GET', '/', curl),
    DENIED('foo/d', -1),
  ],
  [
    'invalid DENY with a selector stays within it',
    [
      deny('d', [from({ ipBlocks: ['300.1.1.1'] })], {
        selector: { matchLabels: { app: 'httpbin' } },
      }),
    ],
    http('GET', '/', curl),
    DEFAULT,
    web,
  ],
  [
    'a DENY with an unknown field is invalid and denies',
    [deny('d', [from({ principal: ['x'] })])],
    http('GET', '/', curl),
    DENIED('foo/d', -1),
  ],
  [
    'invalid ALLOW matches nothing',
    [allow('a', [{}, when({ key: 'request.auth.claims[iss]', values: ['x'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'CUSTOM is refused and fails closed',
    [
      policy('ext', {
        action: 'CUSTOM',
        provider: { name: 'opa' },
        rules: [to({ paths: ['/admin*'] })],
      }),
    ],
    http('GET', '/', curl),
    DENIED('foo/ext', -1),
  ],
  [
    'requestPrincipals (JWT) make an ALLOW invalid',
    [allow('a', [from({ requestPrincipals: ['*'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'targetRef makes a policy invalid',
    [allow('a', [{}], { targetRef: { kind: 'Service', name: 'httpbin' } })],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'an unknown action fails closed',
    [policy('x', { action: 'REJECT', rules: [] })],
    http('GET', '/', curl),
    DENIED('foo/x', -1),
  ],
  [
    'principals with a scheme make an ALLOW invalid',
    [allow('a', [from({ principals: ['spiffe://cluster.local/ns/foo/sa/curl'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    'an empty source makes a DENY invalid',
    [deny('d', [{ from: [{ source: {} }], ...to({ paths: ['/x'] }) }])],
    http('GET', '/', curl),
    DENIED('foo/d', -1),
  ],
  [
    'a port out of range makes an ALLOW invalid',
    [allow('a', [to({ ports: ['70000'] })])],
    http('GET', '/', curl),
    NO_MATCH,
  ],
  [
    '{**} before another operator is invalid',
    [allow('a', [to({ paths: ['/a/{**}/b/{*}'] })])],
    http('GET', '/a/x/b/y', curl),
    NO_MATCH,
  ],
];

export const AUTHZ_CASES: readonly AuthzCase[] = [
  ...evaluationOrder,
  ...sources,
  ...operations,
  ...conditions,
  ...combinations,
  ...tcpRows,
  ...scope,
  ...observe,
  ...invalid,
].map(([name, policies, request, expect, workload]) => ({
  name,
  policies,
  request,
  expect,
  workload: workload ?? HTTPBIN,
}));
