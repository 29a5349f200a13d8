import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { AdminDeps } from './admin.js';
import { adminApp, healthApp } from './admin.js';
import { Credentials } from './credentials.js';

// What the admin (15000) and health (15020) servers answered on Express, pinned
// now that they run on node:http alone (admin-router.ts).
describe("the sidecar's admin and health servers", () => {
  const lines: string[] = [];
  const events: string[] = [];
  let notReady: string | undefined = 'no workload certificate yet';
  const probed = http.createServer((req, res) =>
    res.writeHead(req.url === '/ok' ? 200 : 500).end(),
  );
  const servers: http.Server[] = [];
  const base: Record<string, string> = {};

  before(async () => {
    await new Promise<void>((r) => probed.listen(0, '127.0.0.1', r));
    const port = (probed.address() as AddressInfo).port;
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'x', registers: [registry] });
    const deps: AdminDeps = {
      registry,
      log: createLogger({}, 'warn', (l) => lines.push(l)),
      ready: () => notReady,
      creds: new Credentials(),
      mesh: () => compileMesh(MeshConfigSchema.parse({ services: [] }), 'shop'),
      drain: () => events.push('drain'),
      quit: () => events.push('quit'),
      probers: {
        '/app-health/app/livez': { httpGet: { port, path: '/ok' } },
        '/app-health/app/readyz': { httpGet: { port, path: '/down' } },
      },
      podIp: '127.0.0.1',
    };
    for (const [name, app] of [
      ['admin', adminApp(deps)],
      ['health', healthApp(deps)],
    ] as const) {
      const s = http.createServer(app);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
      base[name] = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    }
  });
  after(() => {
    for (const s of [probed, ...servers]) s.close();
  });

  const call = async (
    server: string,
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; type: string | null; body: string }> => {
    const res = await fetch(`${base[server]}${path}`, init);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  const plain = 'text/plain; charset=utf-8';

  it('answers the probes, readiness and stats as before', async () => {
    assert.deepEqual(await call('health', '/healthz'), { status: 200, type: plain, body: 'ok\n' });
    assert.deepEqual(await call('health', '/readyz'), {
      status: 503,
      type: plain,
      body: 'not ready: no workload certificate yet\n',
    });
    assert.deepEqual(await call('health', '/healthz/ready'), {
      status: 503,
      type: plain,
      body: 'no workload certificate yet\n',
    });
    notReady = undefined;
    assert.equal((await call('health', '/ready')).body, 'LIVE\n');
    assert.equal((await call('admin', '/readyz')).body, 'ok\n');
    const stats = await call('health', '/stats/prometheus');
    assert.equal(stats.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(stats.body, /^x_total 0$/m);
    assert.equal((await call('admin', '/metrics')).body, stats.body);
  });

  it('routes as Express did: any case, a trailing slash, HEAD for GET, the query ignored', async () => {
    assert.equal((await call('health', '/HEALTHZ/')).body, 'ok\n');
    assert.equal((await call('health', '/healthz?verbose=1')).status, 200);
    const head = await call('health', '/healthz', { method: 'HEAD' });
    assert.deepEqual([head.status, head.body], [200, '']);
  });

  it('serves the debug endpoints on admin only', async () => {
    assert.deepEqual(JSON.parse((await call('admin', '/certs')).body), { spiffeId: null });
    assert.equal((await call('admin', '/config_dump')).type, 'application/json; charset=utf-8');
    assert.equal(JSON.parse((await call('admin', '/debug/view')).body).kind, 'SidecarView');
    assert.equal((await call('health', '/certs')).status, 404);
    assert.equal((await call('health', '/debug/view')).status, 404);
  });

  it('drains and quits on POST only', async () => {
    assert.equal((await call('admin', '/drain')).status, 404);
    assert.deepEqual(await call('admin', '/drain', { method: 'POST' }), {
      status: 200,
      type: plain,
      body: 'draining\n',
    });
    assert.equal((await call('admin', '/quitquitquit', { method: 'POST' })).body, 'exiting\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['drain', 'quit']);
  });

  it("runs the app's rewritten probes on health", async () => {
    assert.deepEqual(await call('health', '/app-health/app/livez'), {
      status: 200,
      type: plain,
      body: '200\n',
    });
    assert.equal((await call('health', '/app-health/app/readyz')).status, 500);
    assert.equal((await call('health', '/app-health/app/startupz')).status, 404);
    assert.equal((await call('admin', '/app-health/app/livez')).status, 404);
  });

  it('refuses a missing route and a bad body in weft JSON, logged once per code', async () => {
    const missing = await call('health', '/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.type, 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(missing.body), {
      error: { code: 'not_found', message: 'no route for GET /nope' },
    });
    const post = (body: string): Promise<{ status: number; body: string }> =>
      call('admin', '/drain', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    assert.equal((await post('x'.repeat(2048))).status, 413);
    assert.equal(JSON.parse((await post('nope')).body).error.code, 'bad_request');
    assert.equal(JSON.parse((await post('"a string"')).body).error.code, 'bad_request');
    assert.equal((await post('{"ok":true}')).status, 200);
    assert.ok(lines.some((l) => l.includes('"code":"not_found"')));
    assert.ok(lines.every((l) => !l.includes('x'.repeat(100))));
  });
});
