// One small shop of routes for `kubectl weft routes`/`route-check`: the Service
// shop/reviews (ports 9080 http, 9090 grpc) with producer routes (a header canary,
// a 90/10 split with timeouts and retry, a redirect, a rule weft drops), a
// consumer route from `web` (a rewrite, a mirror), a GRPCRoute on 9090, and a
// route no rule of which weft can apply. The unit tests format it; the
// integration test creates the same objects in a real API server and expects the
// same output from the real plugin.
import type { RouteObject } from '../../src/routes/index.js';
import type { WrittenParentStatus } from '../../cli/plugin/routes-cluster.js';

export const SHOP = 'shop';
export const WEB = 'web';
const T0 = '2026-12-01T00:00:00Z';

export const SHOP_SERVICES = [
  {
    name: 'reviews',
    ports: [
      { name: 'http', port: 9080 },
      { name: 'grpc', port: 9090 },
    ],
  },
  {
    name: 'reviews-v1',
    ports: [
      { name: 'http', port: 9080 },
      { name: 'grpc', port: 9090 },
    ],
  },
  { name: 'reviews-v2', ports: [{ name: 'http', port: 9080 }] },
  { name: 'shadow', ports: [{ name: 'http', port: 80 }] },
] as const;

const parent = (port?: number) => ({
  group: '',
  kind: 'Service',
  name: 'reviews',
  namespace: SHOP,
  ...(port !== undefined ? { port } : {}),
});

export const SHOP_ROUTES: readonly RouteObject[] = [
  {
    kind: 'HTTPRoute',
    namespace: SHOP,
    name: 'reviews',
    creationTimestamp: T0,
    spec: {
      parentRefs: [parent(9080)],
      rules: [
        {
          name: 'canary',
          matches: [{ headers: [{ name: 'x-canary', value: 'true' }] }],
          backendRefs: [{ name: 'reviews-v2', port: 9080 }],
        },
        {
          // Written out as the CRD defaults a rule without matches, so the objects the
          // API server stores are these, field for field.
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [
            { name: 'reviews-v1', port: 9080, weight: 90 },
            {
              name: 'reviews-v2',
              port: 9080,
              weight: 10,
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { set: [{ name: 'x-variant', value: 'v2' }] },
                },
              ],
            },
          ],
          timeouts: { request: '2s', backendRequest: '500ms' },
          retry: { attempts: 2, codes: [503], backoff: '25ms' },
        },
      ],
    },
  },
  {
    kind: 'HTTPRoute',
    namespace: SHOP,
    name: 'legacy',
    creationTimestamp: T0,
    spec: {
      parentRefs: [parent()],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/old' } }],
          filters: [
            {
              type: 'RequestRedirect',
              requestRedirect: {
                scheme: 'https',
                hostname: 'reviews.example',
                path: { type: 'ReplaceFullPath', replaceFullPath: '/new' },
                statusCode: 301,
              },
            },
          ],
        },
        {
          matches: [{ path: { type: 'RegularExpression', value: '/(a)\\1' } }],
          backendRefs: [{ name: 'reviews-v1', port: 9080 }],
        },
      ],
    },
  },
  {
    kind: 'HTTPRoute',
    namespace: SHOP,
    name: 'broken',
    creationTimestamp: T0,
    spec: {
      parentRefs: [parent(9080)],
      rules: [
        {
          matches: [{ path: { type: 'RegularExpression', value: '(?i)/x' } }],
          backendRefs: [{ name: 'reviews-v1', port: 9080 }],
        },
      ],
    },
  },
  {
    kind: 'HTTPRoute',
    namespace: WEB,
    name: 'reviews-web',
    creationTimestamp: T0,
    spec: {
      parentRefs: [parent(9080)],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET' }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: {
                hostname: 'reviews-v2.shop',
                path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
              },
            },
            {
              type: 'RequestMirror',
              requestMirror: {
                backendRef: { name: 'shadow', namespace: SHOP, port: 80 },
                percent: 50,
              },
            },
          ],
          backendRefs: [{ name: 'reviews-v2', namespace: SHOP, port: 9080 }],
        },
      ],
    },
  },
  {
    kind: 'GRPCRoute',
    namespace: SHOP,
    name: 'reviews-grpc',
    creationTimestamp: T0,
    spec: {
      parentRefs: [parent(9090)],
      rules: [
        {
          matches: [{ method: { service: 'shop.Reviews', method: 'Get' } }],
          backendRefs: [{ name: 'reviews-v1', port: 9090 }],
        },
      ],
    },
  },
];

/** What a control plane wrote on shop/reviews (the integration test writes it through status). */
export const REVIEWS_STATUS: WrittenParentStatus[] = [
  {
    parentRef: parent(9080),
    controllerName: 'weft.dev/mesh',
    conditions: [
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'attached to Service shop/reviews',
      },
      {
        type: 'ResolvedRefs',
        status: 'True',
        reason: 'ResolvedRefs',
        message: 'all references resolved',
      },
    ],
  },
];
