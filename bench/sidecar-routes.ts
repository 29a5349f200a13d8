// The routing rows of `npm run bench:sidecar`: the weft pair with routes on the
// called Service, against the pair without (same run, same pods). `weft-routes`:
// 100 rules on echo (ten HTTPRoutes: the CRD allows 16 rules a route), GET /1k
// matching the last in precedence order (98 Exact paths with a header match and
// an Exact probe, each tried, then the PathPrefix /1k). `weft-retry`: retries and
// timeouts set, never triggered. Both send to echo itself: only routing differs.

/** 100 rules whose last (in the spec's precedence) is the first GET /1k matches. */
export function benchRouteRules(): unknown[] {
  const echo = [{ name: 'echo', port: 80 }];
  const misses = Array.from({ length: 98 }, (_, i) => ({
    matches: [
      {
        path: { type: 'Exact', value: `/other-${i}` },
        headers: [{ name: 'x-bench', value: `${i}` }],
      },
    ],
    backendRefs: echo,
  }));
  return [
    ...misses,
    // One of the misses answers itself: the bench checks the routes are in force with it.
    {
      matches: [{ path: { type: 'Exact', value: '/bench-probe' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 307 } }],
    },
    { matches: [{ path: { type: 'PathPrefix', value: '/1k' } }], backendRefs: echo },
  ];
}

/**
 * Retries and a request timeout configured on every request; the 1 KB answer never
 * triggers them. Its probe answers 308, not 307: the bench tells the two apart.
 */
export function benchRetryRules(): unknown[] {
  return [
    {
      matches: [{ path: { type: 'Exact', value: '/bench-probe' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 308 } }],
    },
    {
      backendRefs: [{ name: 'echo', port: 80 }],
      retry: { attempts: 2, codes: [502, 503, 504], backoff: '25ms' },
      timeouts: { request: '10s', backendRequest: '5s' },
    },
  ];
}

/** The CRD's limit on rules per route: 100 rules take ten HTTPRoutes. */
const RULES_PER_ROUTE = 10;

/**
 * The mesh file's `routes`: HTTPRoutes on echo:80 carrying these rules, ten each,
 * named `<name>-<i>`. Each row's routes need names of their own: a sidecar keeps a
 * route compiled while its name and generation stay the same.
 */
export function benchRoutes(namespace: string, rules: unknown[], name = 'bench'): unknown[] {
  const routes = [];
  for (let i = 0; i * RULES_PER_ROUTE < rules.length; i++) {
    routes.push({
      kind: 'HTTPRoute',
      namespace,
      name: `${name}-${i}`,
      creationTimestamp: '2026-01-01T00:00:00Z',
      generation: 1,
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }],
        rules: rules.slice(i * RULES_PER_ROUTE, (i + 1) * RULES_PER_ROUTE),
      },
    });
  }
  return routes;
}
