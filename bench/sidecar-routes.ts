// The routing rows of `npm run bench:sidecar`: the weft pair with routes on the
// called Service, against the pair without (same run, same pods). `weft-routes`:
// one HTTPRoute of 100 rules on echo, the request (GET /1k) matching the last in
// precedence order (99 Exact paths with a header match, each tried, then the
// PathPrefix /1k). `weft-retry`: one rule with retries and a request timeout,
// never triggered. Both send to echo itself, so only the routing work differs.

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

/** Retries and a request timeout configured on every request; the 1 KB answer never triggers them. */
export function benchRetryRules(): unknown[] {
  return [
    {
      matches: [{ path: { type: 'Exact', value: '/bench-probe' } }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 307 } }],
    },
    {
      backendRefs: [{ name: 'echo', port: 80 }],
      retry: { attempts: 2, codes: [502, 503, 504], backoff: '25ms' },
      timeouts: { request: '10s', backendRequest: '5s' },
    },
  ];
}

/** The mesh file's `routes`: one HTTPRoute on echo:80 with these rules. */
export function benchRoutes(namespace: string, rules: unknown[]): unknown[] {
  return [
    {
      kind: 'HTTPRoute',
      namespace,
      name: 'bench',
      creationTimestamp: '2026-01-01T00:00:00Z',
      generation: 1,
      spec: { parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 80 }], rules },
    },
  ];
}
