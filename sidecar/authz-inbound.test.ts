// Inbound authorization in this process: the real inbound listener, real mTLS
// between test clients and the sidecar, the app on loopback, and policies swapped
// in as discovery would swap them. HTTP/1.1, gRPC over h2 and opaque TCP; the
// answer a denied client sees, the access log line, weft's decision metric and
// Istio's request metric.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { Destination } from '../src/net/original-dst.js';
import type { EphemeralCa } from '../src/pki/index.js';
import {
  ExtendedKeyUsage,
  KeyType,
  createEphemeralCa,
  generateKeyPair,
  privateKeyToPem,
} from '../src/pki/index.js';
import { MAX_POLICY_LABELS } from './authz.js';
import { inboundProxyConfig, serverCredentials } from '../test/support/inbound-proxy.js';
import { ALPN } from './credentials.js';
import { MeshSource } from './mesh-source.js';
import { createProxy } from './proxy.js';
import type { Proxy } from './proxy.js';

const NS = 'shop';
const id = (sa: string): string => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;
const principal = (sa: string): string => `cluster.local/ns/${NS}/sa/${sa}`;
type Credential = { cert: string; key: string };

async function leaf(ca: EphemeralCa, uri: string): Promise<Credential> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const cert = await ca.sign(keys.publicKey, '', { uris: [uri] }, [
    ExtendedKeyUsage.ServerAuth,
    ExtendedKeyUsage.ClientAuth,
  ]);
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

interface Policy {
  name: string;
  namespace?: string;
  spec: unknown;
  dryRun?: boolean;
}

describe('inbound authorization', () => {
  let ca: EphemeralCa;
  let client: Credential;
  let other: Credential;
  let proxy: Proxy;
  let mesh: MeshIndex;
  let registry: Registry;
  let target: Destination;
  const lines: string[] = [];
  const access: Record<string, unknown>[] = [];
  const ports = { http: 0, h2: 0, tcp: 0, proxy: 0 };
  const servers: { close(): void }[] = [];

  const setPolicies = (policies: Policy[]): void => {
    mesh = compileMesh(
      MeshConfigSchema.parse({
        inbound: {
          mode: 'PERMISSIVE',
          ports: [
            { port: ports.http, protocol: 'http' },
            { port: ports.h2, protocol: 'grpc' },
            { port: ports.tcp, protocol: 'tcp' },
          ],
        },
        authorization: policies.map((p) => ({ namespace: NS, dryRun: false, ...p })),
      }),
      NS,
    );
  };

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const m = await registry.getSingleMetric(name)!.get();
    return m.values
      .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
      .reduce((n, v) => n + v.value, 0);
  }

  const connect = (cred: Credential | undefined, alpn: string): net.Socket => {
    const at = { host: '127.0.0.1', port: ports.proxy };
    if (!cred) return net.connect(at);
    return tls.connect({
      ...at,
      ca: ca.certPem,
      ...cred,
      ALPNProtocols: [alpn],
      checkServerIdentity: () => undefined,
    });
  };

  /** One HTTP/1.1 request over mTLS (or plaintext); status and body. */
  function get(cred: Credential | undefined, path: string, method = 'GET') {
    target = { address: '127.0.0.1', port: ports.http };
    return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
      (resolve, reject) => {
        const req = http.request(
          {
            method,
            path,
            headers: { host: 'web' },
            createConnection: () => connect(cred, ALPN.http1),
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body, headers: res.headers }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
  }

  /** One gRPC-shaped call over h2 inside mTLS: the response headers and whether a DATA frame came. */
  function grpc(cred: Credential) {
    target = { address: '127.0.0.1', port: ports.h2 };
    return new Promise<{ headers: http2.IncomingHttpHeaders; data: number; trailers: boolean }>(
      (resolve, reject) => {
        const session = http2.connect('https://web', {
          createConnection: () => connect(cred, ALPN.http2),
        });
        session.on('error', reject);
        const stream = session.request({
          ':method': 'POST',
          ':path': '/weft.Echo/Say',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let headers: http2.IncomingHttpHeaders = {};
        let data = 0;
        let trailers = false;
        stream.on('response', (h) => (headers = h));
        stream.on('data', (c: Buffer) => (data += c.length));
        stream.on('trailers', () => (trailers = true));
        stream.on('end', () => {
          session.close();
          resolve({ headers, data, trailers });
        });
        stream.on('error', reject);
        stream.end('ping');
      },
    );
  }

  /** Opaque TCP over mTLS: what came back before the sidecar closed (or the echo). */
  function tcp(cred: Credential, alpn: string = ALPN.tcp): Promise<string> {
    target = { address: '127.0.0.1', port: ports.tcp };
    return new Promise((resolve) => {
      const s = connect(cred, alpn);
      let data = '';
      s.on('secureConnect', () => s.write('hello'));
      s.on('data', (c: Buffer) => {
        data += c.toString();
        if (data === 'hello') s.end();
      });
      s.on('error', () => undefined);
      s.on('close', () => resolve(data));
      s.setTimeout(5000, () => s.destroy());
    });
  }

  before(async () => {
    ca = await createEphemeralCa('weft-test-authz', 3_600_000);
    const serverCred = await leaf(ca, id('web'));
    client = await leaf(ca, id('client'));
    other = await leaf(ca, id('other'));
    const h1 = http.createServer((req, res) => res.end(`app saw ${req.method} ${req.url}`));
    const h2 = http2.createServer();
    h2.on('stream', (stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end('pong');
    });
    const t = net.createServer((s) => s.pipe(s));
    for (const s of [h1, h2, t]) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      servers.push(s);
    }
    ports.http = (h1.address() as AddressInfo).port;
    ports.h2 = (h2.address() as AddressInfo).port;
    ports.tcp = (t.address() as AddressInfo).port;
    setPolicies([]);
    const creds = serverCredentials(id('web'), serverCred, ca.certPem);
    registry = new Registry();
    proxy = createProxy({
      config: inboundProxyConfig(NS, { maxConnections: 1000 }),
      workload: 'web',
      registry,
      log: createLogger({}, 'info', (l) => lines.push(l)),
      accessLog: createLogger({}, 'info', (l) =>
        access.push(JSON.parse(l) as Record<string, unknown>),
      ),
      creds,
      mesh: () => mesh,
      originalDst: () => target,
    });
    await new Promise<void>((r) => proxy.inbound.listen(0, '127.0.0.1', r));
    ports.proxy = (proxy.inbound.address() as AddressInfo).port;
  });

  after(() => {
    proxy.inbound.close();
    proxy.inboundHttp.h1.closeAllConnections();
    proxy.pool.close();
    for (const s of servers) s.close();
  });

  beforeEach(() => {
    lines.length = 0;
    access.length = 0;
  });

  it('allows everything with no policy (default-allow), and says so in the access log', async () => {
    setPolicies([]);
    const r = await get(client, '/anything');
    assert.equal(r.status, 200);
    assert.equal(access.at(-1)?.policy, 'default-allow');
    assert.ok(
      (await metric('weft_authz_decisions_total', {
        decision: 'allow',
        policy: 'default-allow',
      })) >= 1,
    );
  });

  it("denies with Envoy's answer when an ALLOW policy allows nothing", async () => {
    setPolicies([{ name: 'allow-nothing', spec: {} }]);
    const r = await get(client, '/x');
    assert.deepEqual(
      [r.status, r.body, r.headers['content-type']],
      [403, 'RBAC: access denied', 'text/plain'],
    );
    const log = access.at(-1)!;
    assert.deepEqual([log.status, log.policy, log.flags], [403, 'no-allow-matched', '-']);
    // Istio's request metric: 403, and no response flag (Envoy's RBAC filter sets none).
    assert.ok(
      (await metric('istio_requests_total', {
        reporter: 'destination',
        response_code: '403',
        response_flags: '-',
      })) >= 1,
    );
    assert.ok(
      (await metric('weft_authz_decisions_total', {
        action: 'ALLOW',
        decision: 'deny',
        policy: 'no-allow-matched',
      })) >= 1,
    );
    assert.ok(
      lines.some((l) => l.includes('authz denied') && l.includes('has no rules')),
      lines.join('\n'),
    );
  });

  it('allows by principal and method, names the policy and rule, and denies everyone else', async () => {
    setPolicies([
      {
        name: 'readers',
        spec: {
          rules: [
            { from: [{ source: { principals: [principal('nobody')] } }] },
            {
              from: [{ source: { principals: [principal('client')] } }],
              to: [{ operation: { methods: ['GET'] } }],
            },
          ],
        },
      },
    ]);
    assert.equal((await get(client, '/r')).status, 200);
    assert.deepEqual([access.at(-1)!.policy, access.at(-1)!.rule], ['shop/readers', 1]);
    assert.equal((await get(client, '/w', 'POST')).status, 403);
    assert.equal((await get(other, '/r')).status, 403);
    // A plaintext client (PERMISSIVE lets it in) never matches a principal rule.
    assert.equal((await get(undefined, '/r')).status, 403);
  });

  it('denies by path prefix before any ALLOW, and reads policies per request on an open connection', async () => {
    setPolicies([
      { name: 'all', spec: { rules: [{}] } },
      {
        name: 'no-admin',
        spec: { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] },
      },
    ]);
    assert.equal((await get(client, '/admin/users')).status, 403);
    assert.deepEqual([access.at(-1)!.policy, access.at(-1)!.rule], ['shop/no-admin', 0]);
    assert.equal((await get(client, '/public')).status, 200);
    assert.ok(
      (await metric('weft_authz_decisions_total', {
        action: 'DENY',
        decision: 'deny',
        policy: 'shop/no-admin',
      })) >= 1,
    );
  });

  it('answers a denied gRPC call with a trailers-only PERMISSION_DENIED', async () => {
    setPolicies([{ name: 'allow-nothing', spec: {} }]);
    const denied = await grpc(client);
    assert.deepEqual(
      [
        denied.headers[':status'],
        denied.headers['grpc-status'],
        denied.headers['grpc-message'],
        denied.data,
        denied.trailers,
      ],
      [200, '7', 'RBAC: access denied', 0, false],
    );
    assert.ok(
      (await metric('istio_requests_total', {
        request_protocol: 'grpc',
        grpc_response_status: '7',
      })) >= 1,
    );
    setPolicies([]);
    const ok = await grpc(client);
    assert.equal(ok.headers['grpc-status'], undefined);
    assert.ok(ok.trailers);
  });

  it('closes a denied opaque TCP connection after the handshake, and lets an allowed one through', async () => {
    setPolicies([
      {
        name: 'client-only',
        spec: { rules: [{ from: [{ source: { principals: [principal('client')] } }] }] },
      },
    ]);
    assert.equal(await tcp(client), 'hello');
    assert.equal(await tcp(other), '');
    assert.ok((await metric('weft_sidecar_refused_total', { reason: 'authz_denied' })) >= 1);
    // An ALLOW rule with HTTP-only fields is ignored on TCP (Istio): it cannot allow.
    setPolicies([
      { name: 'http-only', spec: { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } },
    ]);
    assert.equal(await tcp(client), '');
  });

  it('keeps a port declared tcp opaque TCP when the client negotiates http/1.1 by ALPN', async () => {
    setPolicies([]);
    // Under HTTP rules these bytes would be a malformed request (400), not the app's echo.
    assert.equal(await tcp(client, ALPN.http1), 'hello');
  });

  it('authorizes and forwards the normalised path, and refuses a target that is not origin-form', async () => {
    setPolicies([
      { name: 'all', spec: { rules: [{}] } },
      {
        name: 'no-admin',
        spec: { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] },
      },
    ]);
    for (const path of ['/x/../admin', '/%61dmin', '/./%2e%2e/admin?x=1'])
      assert.equal((await get(client, path)).status, 403, path);
    const abs = await get(client, 'http://web/admin');
    assert.equal(abs.status, 400);
    assert.equal((await get(client, '*')).status, 400);
    // The app sees exactly the path that was authorized; the query as sent.
    assert.equal((await get(client, '/x/../%70ublic?q=%61')).body, 'app saw GET /public?q=%61');
  });

  it('refuses an h2 request whose host and :authority differ', async () => {
    setPolicies([]);
    target = { address: '127.0.0.1', port: ports.h2 };
    const status = (headers: http2.OutgoingHttpHeaders) =>
      new Promise<number>((resolve, reject) => {
        const session = http2.connect('https://web', {
          createConnection: () => connect(client, ALPN.http2),
        });
        session.on('error', reject);
        const stream = session.request({ ':method': 'GET', ':path': '/', ...headers });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
        stream.on('close', () => session.close());
        stream.resume();
        stream.end();
      });
    assert.equal(await status({ ':authority': 'web', host: 'other' }), 400);
    assert.equal(await status({ ':authority': 'web', host: 'web' }), 200);
  });

  it('reports a dry-run policy that would deny without enforcing it', async () => {
    setPolicies([
      {
        name: 'dry',
        dryRun: true,
        spec: { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/x'] } }] }] },
      },
    ]);
    assert.equal((await get(client, '/x')).status, 200);
    assert.ok(
      lines.some((l) => l.includes('would deny by shop/dry rule 0')),
      lines.join('\n'),
    );
    assert.ok(
      (await metric('weft_authz_decisions_total', {
        action: 'DENY',
        decision: 'dry-run-deny',
        policy: 'shop/dry',
      })) >= 1,
    );
  });

  it('marks AUDIT matches in the log, the access log and the metric, never changing the decision', async () => {
    setPolicies([
      {
        name: 'watch',
        spec: { action: 'AUDIT', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
      },
    ]);
    assert.equal((await get(client, '/a')).status, 200);
    assert.deepEqual(access.at(-1)!.audit, [{ policy: 'shop/watch', rule: 0 }]);
    assert.ok(lines.some((l) => l.includes('authz audit')));
    assert.ok(
      (await metric('weft_authz_decisions_total', {
        action: 'AUDIT',
        decision: 'audit',
        policy: 'shop/watch',
      })) >= 1,
    );
  });

  it('denies HTTP and closes TCP in discovery mode until the first view is applied (no-view)', async () => {
    const source = new MeshSource(
      { discovery: true },
      NS,
      new Registry(),
      createLogger({}, 'error'),
    );
    mesh = source.current();
    const r = await get(client, '/x');
    assert.deepEqual([r.status, r.body], [403, 'RBAC: access denied']);
    assert.equal(access.at(-1)?.policy, 'no-view');
    assert.equal(await tcp(client), '');
    assert.ok((await metric('weft_authz_decisions_total', { policy: 'no-view' })) >= 2);
    source.setConfig(MeshConfigSchema.parse({}));
    mesh = source.current();
    assert.equal((await get(client, '/x')).status, 200);
    assert.equal(await tcp(client), 'hello');
  });

  it('caps the policy label values, counting the rest as other', async () => {
    const many = Array.from({ length: MAX_POLICY_LABELS + 20 }, (_, i) => ({
      name: `deny-${String(i).padStart(3, '0')}`,
      spec: { action: 'DENY', rules: [{ to: [{ operation: { paths: [`/p${i}`] } }] }] },
    }));
    setPolicies(many);
    // Plaintext (PERMISSIVE): a path DENY covers it too, without a handshake per request.
    for (let i = 0; i < many.length; i += 1)
      assert.equal((await get(undefined, `/p${i}`)).status, 403);
    const m = await registry.getSingleMetric('weft_authz_decisions_total')!.get();
    const labels = new Set(m.values.map((v) => v.labels.policy));
    assert.ok(labels.size <= MAX_POLICY_LABELS + 1, `${labels.size} label values`);
    assert.ok((await metric('weft_authz_decisions_total', { policy: 'other' })) >= 20);
  });
});
