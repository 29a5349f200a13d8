import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runRouteCheck } from './route-check-command.js';
import { parseCaller, parseRequest, parseUrl } from './route-check-request.js';
import { namespaceArg, portArg, runRoutes, serviceArg } from './routes-command.js';

/** A kubeconfig naming a server nothing listens on: argument errors come before any call. */
function kubeconfig(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'weft-rcli-')), 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'shop' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

const usage = (message: string | RegExp) => ({ message, exitCode: 2 });

describe('kubectl weft route-check: the request flags', () => {
  it('reads the Service, port and target from the URL; the Host as written; -H host overrides', () => {
    assert.deepEqual(parseRequest('http://reviews.shop/a/b?x=1&y', undefined, { 'x-a': '1' }), {
      scheme: 'http',
      service: { namespace: 'shop', name: 'reviews' },
      port: 80,
      method: 'GET',
      target: '/a/b?x=1&y',
      host: 'reviews.shop',
      headers: { 'x-a': '1', host: 'reviews.shop' },
    });
    const r = parseRequest('http://reviews.shop.svc.cluster.local:9080?q', 'post', {
      host: 'example.org',
    });
    assert.deepEqual(
      [r.service, r.port, r.method, r.target, r.host],
      [{ namespace: 'shop', name: 'reviews' }, 9080, 'POST', '/?q', 'example.org'],
    );
  });

  it('gRPC: POST, the method path, content-type application/grpc', () => {
    const r = parseRequest('grpc://reviews.shop:9090/shop.Reviews/Get', undefined, {});
    assert.deepEqual(
      [r.scheme, r.method, r.target, r.headers['content-type']],
      ['grpc', 'POST', '/shop.Reviews/Get', 'application/grpc'],
    );
  });

  it('refuses what cannot be a request to a Service, with exit 2', () => {
    assert.throws(() => parseUrl(undefined), usage(/^--to URL is required/));
    assert.throws(
      () => parseUrl('https://reviews.shop/'),
      usage(/https is TLS from the app, which the sidecar passes through unread/),
    );
    assert.throws(() => parseUrl('ftp://reviews.shop/'), usage(/the scheme must be http or grpc/));
    assert.throws(
      () => parseUrl('http://reviews/'),
      usage(/the host must name a Service: SVC\.NS/),
    );
    assert.throws(() => parseUrl('http://reviews.shop:0/'), usage(/port out of range/));
    assert.throws(() => parseUrl('http://reviews.shop:99999/'), usage(/port out of range/));
    assert.throws(
      () => parseUrl('grpc://reviews.shop/a.B/C'),
      usage(/a grpc:\/\/ URL needs a port/),
    );
    assert.throws(
      () => parseUrl('grpc://reviews.shop:9090/a.B'),
      usage(/a gRPC call is \/package\.Service\/Method/),
    );
    assert.throws(
      () => parseRequest('http://a.b/', 'GE T', {}),
      usage('-X GE T: expected an HTTP method'),
    );
    assert.throws(
      () => parseRequest('grpc://a.b:1/a.B/C', 'GET', {}),
      usage('-X GET: a gRPC call is always POST'),
    );
    assert.throws(
      () => parseRequest('http://a.b/', undefined, { host: ['x', 'y'] }),
      usage('-H host: given twice'),
    );
  });

  it('the caller: --from NS/POD or --from-namespace NS, exactly one', () => {
    assert.deepEqual(parseCaller('web/web-1', undefined), { namespace: 'web', pod: 'web-1' });
    assert.deepEqual(parseCaller(undefined, 'web'), { namespace: 'web' });
    assert.throws(() => parseCaller(undefined, undefined), usage(/is required/));
    assert.throws(() => parseCaller('web/a', 'web'), usage(/not both/));
    assert.throws(() => parseCaller('web', undefined), usage('--from web: expected NS/POD'));
    assert.throws(() => parseCaller(undefined, 'Web_1'), usage(/expected a namespace name/));
  });
});

describe('kubectl weft routes: the arguments', () => {
  it('SVC with -n, or NS/SVC; --port and --from-namespace checked', () => {
    assert.deepEqual(serviceArg(['reviews'], 'shop'), { namespace: 'shop', name: 'reviews' });
    assert.deepEqual(serviceArg(['shop/reviews'], 'other'), { namespace: 'shop', name: 'reviews' });
    assert.throws(() => serviceArg([], 'shop'), usage('expected one SVC (or NS/SVC)'));
    assert.throws(() => serviceArg(['a', 'b'], 'shop'), usage('expected one SVC (or NS/SVC)'));
    assert.throws(() => serviceArg(['a/b/c'], 'shop'), usage(/expected SVC or NS\/SVC/));
    assert.throws(() => serviceArg(['reviews'], undefined), usage(/-A is not supported/));
    assert.equal(portArg('9080', '--port'), 9080);
    assert.throws(
      () => portArg('http', '--port'),
      usage('--port http: expected a port number (1-65535)'),
    );
    assert.throws(() => portArg('70000', '--port'), usage(/expected a port number/));
    assert.throws(
      () => namespaceArg('a.b', '--from-namespace'),
      usage(/expected a namespace name/),
    );
  });

  it('bad flags are usage errors (exit 2) before the cluster is asked anything', async () => {
    const kc = ['--kubeconfig', kubeconfig()];
    await assert.rejects(
      runRoutes(['reviews', '--bogus', ...kc]),
      usage(/Unknown option '--bogus'/),
    );
    await assert.rejects(
      runRoutes(['reviews', '-o', 'wide', ...kc]),
      usage(/-o wide: choose one of table, json, yaml/),
    );
    await assert.rejects(runRoutes(['reviews', '--port', 'x', ...kc]), usage(/--port x/));
    await assert.rejects(
      runRouteCheck(['--from', 'shop', '--to', 'http://a.shop/', ...kc]),
      usage('--from shop: expected NS/POD'),
    );
    await assert.rejects(
      runRouteCheck(['--from-namespace', 'shop', '--to', 'http://a.shop/', 'GET', ...kc]),
      usage('unexpected argument GET: the request is --to URL'),
    );
    await assert.rejects(
      runRouteCheck(['--from-namespace', 'shop', '-H', 'nocolon', ...kc]),
      usage('-H nocolon: expected NAME:VALUE'),
    );
  });
});
