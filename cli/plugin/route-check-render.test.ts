import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REVIEWS_STATUS, SHOP_ROUTES } from '../../test/support/route-fixture.js';
import { routeCheck } from './route-check-model.js';
import { renderRouteCheck } from './route-check-render.js';
import { parseRequest } from './route-check-request.js';

const routes = SHOP_ROUTES.map((object) => ({
  object,
  status: object.name === 'reviews' ? REVIEWS_STATUS : [],
}));

function check(
  from: string,
  url: string,
  headers: Record<string, string> = {},
  method?: string,
): string {
  const v = routeCheck({
    caller: { namespace: from },
    request: parseRequest(url, method, headers),
    routes,
  });
  return renderRouteCheck(v, []);
}

describe('kubectl weft route-check, formatted', () => {
  it('a weighted split lists every backend with its probability and its own header filter, timeouts and retry', () => {
    assert.equal(
      check('shop', 'http://reviews.shop:9080/x?y=1'),
      [
        'Request:   GET http://reviews.shop:9080/x?y=1 (Host: reviews.shop:9080)',
        'From:      namespace shop',
        'Routes:    producer HTTPRoutes of shop: shop/legacy, shop/reviews',
        'Matched:   HTTPRoute shop/reviews rule 1, match 0: PathPrefix /',
        'Answer:    forwarded',
        'Target:    /x?y=1',
        'Backends:  shop/reviews-v1:9080  90% (weight 90)',
        '           shop/reviews-v2:9080  10% (weight 10)  x-variant: v2',
        'Timeouts:  request 2s, backendRequest 500ms',
        'Retry:     2 attempts on 503, backoff 25ms',
        '',
      ].join('\n'),
    );
  });

  it('a header match wins over the catch-all rule', () => {
    assert.equal(
      check('shop', 'http://reviews.shop:9080/x?y=1', { 'x-canary': 'true' }),
      [
        'Request:   GET http://reviews.shop:9080/x?y=1 (Host: reviews.shop:9080)',
        'From:      namespace shop',
        'Routes:    producer HTTPRoutes of shop: shop/legacy, shop/reviews',
        'Matched:   HTTPRoute shop/reviews rule 0 (canary), match 0: PathPrefix /, header x-canary=true',
        'Answer:    forwarded',
        'Target:    /x?y=1',
        'Backends:  shop/reviews-v2:9080  100% (weight 1)',
        'Timeouts:  none set',
        'Retry:     none set',
        '',
      ].join('\n'),
    );
  });

  it('a redirect gives its status and Location (query kept)', () => {
    assert.equal(
      check('shop', 'http://reviews.shop:9080/old?y=1'),
      [
        'Request:   GET http://reviews.shop:9080/old?y=1 (Host: reviews.shop:9080)',
        'From:      namespace shop',
        'Routes:    producer HTTPRoutes of shop: shop/legacy, shop/reviews',
        'Matched:   HTTPRoute shop/legacy rule 0, match 0: Exact /old',
        'Filters:   RequestRedirect 301, scheme https, hostname reviews.example, path /new',
        'Answer:    301 redirect',
        'Location:  https://reviews.example/new?y=1',
        '',
      ].join('\n'),
    );
  });

  it("a consumer route's rewrite: target, Host, headers, and its mirror with its percentage", () => {
    assert.equal(
      check('web', 'http://reviews.shop:9080/api/a?y=1'),
      [
        'Request:   GET http://reviews.shop:9080/api/a?y=1 (Host: reviews.shop:9080)',
        'From:      namespace web',
        'Routes:    consumer HTTPRoutes of web: web/reviews-web',
        'Matched:   HTTPRoute web/reviews-web rule 0, match 0: PathPrefix /api, GET',
        'Filters:   URLRewrite hostname reviews-v2.shop, prefix → /v2 + RequestMirror shop/shadow:80 50%',
        'Answer:    forwarded',
        'Target:    /v2/a?y=1',
        'Host:      reviews-v2.shop (rewritten)',
        'Headers:   host: reviews-v2.shop',
        'Backends:  shop/reviews-v2:9080  100% (weight 1)',
        'Mirror:    shop/shadow:80  50% of requests',
        'Timeouts:  none set',
        'Retry:     none set',
        '',
      ].join('\n'),
    );
  });

  it('routes attach and no rule matches: 404', () => {
    assert.equal(
      check('web', 'http://reviews.shop:9080/other'),
      [
        'Request:   GET http://reviews.shop:9080/other (Host: reviews.shop:9080)',
        'From:      namespace web',
        'Routes:    consumer HTTPRoutes of web: web/reviews-web',
        'Answer:    404: routes attach to the Service but no rule matches',
        '',
      ].join('\n'),
    );
  });

  it('gRPC: a GRPCRoute method match', () => {
    assert.equal(
      check('shop', 'grpc://reviews.shop:9090/shop.Reviews/Get'),
      [
        'Request:   POST grpc://reviews.shop:9090/shop.Reviews/Get (Host: reviews.shop:9090)',
        'From:      namespace shop',
        'Routes:    producer GRPCRoutes of shop: shop/reviews-grpc',
        'Matched:   GRPCRoute shop/reviews-grpc rule 0, match 0: shop.Reviews/Get',
        'Answer:    forwarded',
        'Target:    /shop.Reviews/Get',
        'Backends:  shop/reviews-v1:9090  100% (weight 1)',
        'Timeouts:  none set',
        'Retry:     none set',
        '',
      ].join('\n'),
    );
  });

  it('gRPC: no method matches: 404', () => {
    assert.equal(
      check('shop', 'grpc://reviews.shop:9090/shop.Reviews/List'),
      [
        'Request:   POST grpc://reviews.shop:9090/shop.Reviews/List (Host: reviews.shop:9090)',
        'From:      namespace shop',
        'Routes:    producer GRPCRoutes of shop: shop/reviews-grpc',
        'Answer:    404: routes attach to the Service but no rule matches',
        '',
      ].join('\n'),
    );
  });

  it('no route attaches: the Service as it is; a note is shown', () => {
    const v = routeCheck({
      caller: { namespace: 'shop', pod: 'web-1' },
      request: parseRequest('http://shadow.shop/', undefined, {}),
      routes,
    });
    assert.equal(
      renderRouteCheck(v, ['pod shop/web-1 has no weft sidecar']),
      [
        'Request:   GET http://shadow.shop:80/ (Host: shadow.shop)',
        'From:      pod shop/web-1',
        'Note:      pod shop/web-1 has no weft sidecar',
        'Routes:    none attached',
        'Answer:    no route: the Service as it is (shop/shadow:80, balanced over its endpoints)',
        '',
      ].join('\n'),
    );
  });

  it('-o json: outcome, match, each backend with probability and own headers, mirrors, timeouts', () => {
    const v = routeCheck({
      caller: { namespace: 'shop' },
      request: parseRequest('http://reviews.shop:9080/x', undefined, { 'x-drop': '1' }),
      routes,
    });
    assert.equal(v.outcome, 'forward');
    assert.equal(v.status, null);
    assert.deepEqual(v.match, {
      kind: 'HTTPRoute',
      route: 'shop/reviews',
      rule: 1,
      ruleName: null,
      match: 0,
      matches: 'PathPrefix /',
    });
    assert.deepEqual(v.backends, [
      { backend: 'shop/reviews-v1:9080', weight: 90, probability: 0.9 },
      {
        backend: 'shop/reviews-v2:9080',
        weight: 10,
        probability: 0.1,
        headers: { set: { 'x-variant': 'v2' }, removed: [] },
      },
    ]);
    assert.deepEqual(v.timeouts, { request: '2s', backendRequest: '500ms' });
    assert.deepEqual(v.retry, { attempts: 2, codes: [503], backoff: '25ms' });
    const web = routeCheck({
      caller: { namespace: 'web' },
      request: parseRequest('http://reviews.shop:9080/api', undefined, {}),
      routes,
    });
    assert.deepEqual(
      [web.target, web.host, web.headers, web.mirrors],
      [
        '/v2',
        'reviews-v2.shop',
        { set: { host: 'reviews-v2.shop' }, removed: [] },
        [{ backend: 'shop/shadow:80', probability: 0.5 }],
      ],
    );
  });
});
