import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REVIEWS_STATUS, SHOP_ROUTES, SHOP_SERVICES } from '../../test/support/route-fixture.js';
import { routesHealthy, routesView } from './routes-model.js';
import { renderRoutes } from './routes-render.js';

const routes = SHOP_ROUTES.map((object) => ({
  object,
  status: object.name === 'reviews' ? REVIEWS_STATUS : [],
}));
const service = {
  namespace: 'shop',
  name: 'reviews',
  ports: SHOP_SERVICES[0].ports.map((p) => ({ ...p })),
};

describe('kubectl weft routes, formatted', () => {
  it('the producer routes per port in precedence order, then every attached route with problems and status', () => {
    assert.equal(
      renderRoutes(routesView({ service, routes })),
      [
        'Service: shop/reviews',
        'Caller:  any namespace without consumer routes of its own (--from-namespace NS: that namespace)',
        '',
        'Port 9080 (http): producer HTTPRoutes of shop; a request no rule matches gets 404',
        '#   ROUTE          RULE       MATCH                                FILTERS                                                                  BACKENDS                                             TIMEOUTS/RETRY',
        '1   shop/legacy    0          Exact /old                           RequestRedirect 301, scheme https, hostname reviews.example, path /new   - (redirect)                                         -',
        '2   shop/reviews   0 canary   PathPrefix /, header x-canary=true   -                                                                        shop/reviews-v2:9080                                 -',
        '3   shop/reviews   1          PathPrefix /                         -                                                                        shop/reviews-v1:9080 90%, shop/reviews-v2:9080 10%   request 2s; backendRequest 500ms; retry 2 on 503 backoff 25ms',
        '',
        'Port 9090 (grpc): producer GRPCRoutes of shop; a request no rule matches gets 404',
        '#   ROUTE               RULE   MATCH              FILTERS   BACKENDS               TIMEOUTS/RETRY',
        '1   shop/reviews-grpc   0      shop.Reviews/Get   -         shop/reviews-v1:9090   -',
        '',
        'Routes attached to shop/reviews:',
        'GRPCRoute shop/reviews-grpc  (producer, port 9090): applies on 9090',
        '  status: no status',
        'HTTPRoute shop/broken  (producer, port 9080): not applied: no rule of it can be applied (see problems)',
        '  problem: spec.rules[0].matches[0].path.value: UnsupportedValue: groups other than (?:...) (flags, names, lookaround) are not supported',
        '  status: no status',
        'HTTPRoute shop/legacy  (producer, every port): applies on 9080; port 9090: GRPCRoutes attach there and apply instead (GEP-1426)',
        '  problem: spec.rules[1].matches[0].path.value: UnsupportedValue: backreferences are not supported (RE2 has none)',
        '  dropped rules: 1',
        '  status: no status',
        'HTTPRoute shop/reviews  (producer, port 9080): applies on 9080',
        '  status (weft.dev/mesh port 9080): Accepted=True Accepted: attached to Service shop/reviews; ResolvedRefs=True ResolvedRefs: all references resolved',
        'HTTPRoute web/reviews-web  (consumer, port 9080): a consumer route: applies only to callers in web',
        '  status: no status',
        '',
      ].join('\n'),
    );
  });

  it("a caller's namespace: its consumer routes replace the producer routes; --port shows one port", () => {
    assert.equal(
      renderRoutes(routesView({ service, routes, callerNamespace: 'web', port: 9080 })),
      [
        'Service: shop/reviews',
        'Caller:  namespace web',
        '',
        'Port 9080 (http): consumer HTTPRoutes of web (they replace the producer routes for callers there); a request no rule matches gets 404',
        '#   ROUTE             RULE   MATCH                  FILTERS                                                                                BACKENDS               TIMEOUTS/RETRY',
        '1   web/reviews-web   0      PathPrefix /api, GET   URLRewrite hostname reviews-v2.shop, prefix → /v2 + RequestMirror shop/shadow:80 50%   shop/reviews-v2:9080   -',
        '',
        'Routes attached to shop/reviews:',
        'GRPCRoute shop/reviews-grpc  (producer, port 9090): attached to none of the ports shown',
        '  status: no status',
        'HTTPRoute shop/broken  (producer, port 9080): not applied: no rule of it can be applied (see problems)',
        '  problem: spec.rules[0].matches[0].path.value: UnsupportedValue: groups other than (?:...) (flags, names, lookaround) are not supported',
        '  status: no status',
        'HTTPRoute shop/legacy  (producer, every port): port 9080: replaced for callers in web by their consumer routes',
        '  problem: spec.rules[1].matches[0].path.value: UnsupportedValue: backreferences are not supported (RE2 has none)',
        '  dropped rules: 1',
        '  status: no status',
        'HTTPRoute shop/reviews  (producer, port 9080): port 9080: replaced for callers in web by their consumer routes',
        '  status (weft.dev/mesh port 9080): Accepted=True Accepted: attached to Service shop/reviews; ResolvedRefs=True ResolvedRefs: all references resolved',
        'HTTPRoute web/reviews-web  (consumer, port 9080): applies on 9080',
        '  status: no status',
        '',
      ].join('\n'),
    );
  });

  it('-o json: lines in match order, the group that applies, dropped rules, status as written or null', () => {
    const v = routesView({ service, routes });
    const p9080 = v.ports[0]!;
    assert.deepEqual(p9080.applies, { kind: 'HTTPRoute', scope: 'producer', namespace: 'shop' });
    assert.deepEqual(
      p9080.lines.map((l) => [l.order, l.route, l.rule, l.match]),
      [
        [1, 'shop/legacy', 0, 0],
        [2, 'shop/reviews', 0, 0],
        [3, 'shop/reviews', 1, 0],
      ],
    );
    assert.deepEqual(p9080.lines[2]!.backends, [
      { backend: 'shop/reviews-v1:9080', weight: 90, share: 0.9 },
      { backend: 'shop/reviews-v2:9080', weight: 10, share: 0.1 },
    ]);
    const legacy = v.routes.find((r) => r.name === 'legacy')!;
    assert.deepEqual(
      [legacy.valid, legacy.droppedRules, legacy.appliedOn, legacy.parentPorts],
      [true, [1], [9080], ['all']],
    );
    assert.equal(v.routes.find((r) => r.name === 'legacy')!.status, null);
    assert.deepEqual(v.routes.find((r) => r.name === 'reviews')!.status, REVIEWS_STATUS);
    assert.equal(routesHealthy(v), false, 'legacy drops a rule, broken applies none');
  });

  it('healthy: no problems and no condition False; a False condition written by the control plane is not', () => {
    const good = routes.filter((r) => r.object.name === 'reviews');
    assert.equal(routesHealthy(routesView({ service, routes: good })), true);
    const refused = good.map((r) => ({
      ...r,
      status: [
        {
          ...REVIEWS_STATUS[0]!,
          conditions: [{ type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound' }],
        },
      ],
    }));
    assert.equal(routesHealthy(routesView({ service, routes: refused })), false);
  });

  it('a Service no route names: every port is the Service as it is', () => {
    const plain = { namespace: 'shop', name: 'shadow', ports: [{ port: 80 }] };
    assert.equal(
      renderRoutes(routesView({ service: plain, routes, notes: ['a note'] })),
      [
        'Service: shop/shadow',
        'Caller:  any namespace without consumer routes of its own (--from-namespace NS: that namespace)',
        'Note:    a note',
        '',
        'Port 80: no route: the Service as it is',
        '',
        'No HTTPRoute or GRPCRoute names shop/shadow as a parent.',
        '',
      ].join('\n'),
    );
  });
});
