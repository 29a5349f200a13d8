// End to end: pods as network namespaces with weft-init's iptables rules, their
// apps, and real `weft sidecar` processes with certificates from weft's CA. The
// client app calls http://echo with no knowledge of the mesh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ECHO_VIP, startMesh } from '../support/mesh-fixture.js';
import type { MeshFixture } from '../support/mesh-fixture.js';
import { NODE_IP } from '../support/mesh-net.js';
import { foreignLeaf, meshLeaf, plainAttempt, tlsAttempt } from '../support/mtls-attempt.js';
import type { Outcome } from '../support/mtls-attempt.js';
import { startPrometheus } from '../support/prometheus.js';
import { eventually } from '../support/cluster.js';

// Short-lived certificates: every sidecar renews every few seconds for the whole
// suite, so each test also runs across rotations.
const CERT_TTL_SECONDS = 8;
const ODD_ID = 'spiffe://cluster.local/not/a/workload';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Many {
  results: { status: number; pod?: string; xfcc?: string; traceparent?: string; error?: string }[];
}

describe('sidecar mesh', { timeout: 240_000 }, () => {
  let mesh: MeshFixture;
  before(async () => {
    mesh = await startMesh({ servers: 3, certTtlSeconds: CERT_TTL_SECONDS });
  });
  after(async () => {
    await mesh?.stop();
  });

  it('captures plain HTTP, crosses mTLS and spreads one keep-alive client over every pod', async () => {
    const r = await mesh.call<Many>('http', 'http://echo/hello', 30);
    assert.equal(r.results.length, 30);
    for (const x of r.results) {
      assert.equal(x.status, 200, JSON.stringify(x));
      // The server's sidecar vouches for the client's verified identity.
      assert.match(x.xfcc!, new RegExp(`URI=${mesh.spiffe('client')}$`));
      assert.match(x.xfcc!, new RegExp(`^By=${mesh.spiffe('echo')};`));
      // Same trace, a new span for each sidecar hop.
      assert.match(x.traceparent!, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      assert.doesNotMatch(x.traceparent!, /b7ad6b7169203331/);
    }
    const pods = new Set(r.results.map((x) => x.pod));
    assert.deepEqual([...pods].sort(), ['echo-1', 'echo-2', 'echo-3']);
    // Round robin: an even spread.
    for (const p of pods) assert.equal(r.results.filter((x) => x.pod === p).length, 10);
  });

  it('routes by Host to the service FQDN and by address to the ClusterIP', async () => {
    const byName = await mesh.call<Many>(
      'http',
      `http://echo.${mesh.namespace}.svc.cluster.local/x`,
      2,
    );
    assert.deepEqual(
      byName.results.map((x) => x.status),
      [200, 200],
    );
    const byIp = await mesh.call<Many>('http', `http://${ECHO_VIP}/x`, 2);
    assert.deepEqual(
      byIp.results.map((x) => x.status),
      [200, 200],
    );
  });

  it('streams request bodies with Expect: 100-continue and chunked responses', async () => {
    const r = await mesh.call<{ status: number; continued: boolean; echoed: number }>(
      'post',
      'http://echo/upload',
      200_000,
    );
    assert.deepEqual(r, { status: 200, continued: true, echoed: 200_000 });
    const s = await mesh.call<{ status: number; body: string }>('stream', 'http://echo/stream');
    assert.equal(s.status, 200);
    assert.equal(s.body, 'chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n');
  });

  it('carries HTTP/2 (gRPC-shaped, with trailers) across the pair', async () => {
    const r = await mesh.call<{ status: number; body: string; grpcStatus: string; pod: string }>(
      'h2',
      'http://echo:9090',
    );
    assert.equal(r.status, 200);
    assert.equal(r.grpcStatus, '0');
    assert.match(r.pod, /^echo-\d$/);
    assert.equal(r.body, `${r.pod}:ping`);
  });

  it('carries WebSocket upgrades', async () => {
    const r = await mesh.call<{ status: number; echoed: string }>('ws', 'echo', 80);
    assert.equal(r.status, 101);
    assert.equal(r.echoed, 'hello-ws');
  });

  it('carries opaque TCP over mTLS', async () => {
    const r = await mesh.call<{ echoed: string }>('tcp', 'echo', 5432, 'SELECT 1;');
    assert.equal(r.echoed, 'SELECT 1;');
  });

  /** Requests the server apps saw whose URL contains `marker`. */
  const seenByApps = (marker: string): number =>
    mesh.servers.flatMap((p) => p.app.output).filter((l) => l.includes(marker)).length;

  it('refuses request smuggling shapes and oversized heads, forwarding none', async () => {
    const head = (path: string, extra: string): string =>
      Buffer.from(`POST ${path} HTTP/1.1\r\nHost: echo\r\n${extra}\r\n`, 'latin1').toString(
        'base64',
      );
    const cases: [string, string, RegExp][] = [
      ['cl-te', 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', / 400 /],
      ['cl-cl', 'Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde', / 400 /],
      ['bad-char', 'X-Bad: a\x01b\r\nContent-Length: 0\r\n', / 400 /],
      ['obs-fold', 'X-Fold: a\r\n b\r\nContent-Length: 0\r\n', / 400 /],
      ['huge', `X-Huge: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n`, / 431 /],
    ];
    const before = await mesh.metric(mesh.client, 'weft_sidecar_refused_total');
    for (const [name, extra, expected] of cases) {
      const r = await mesh.call<{ response: string }>(
        'raw',
        'echo',
        80,
        head(`/smuggle-${name}`, extra),
      );
      assert.match(r.response, expected, name);
    }
    const after = await mesh.metric(mesh.client, 'weft_sidecar_refused_total');
    assert.equal(after - before, cases.length);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(seenByApps('/smuggle-'), 0);
    // Still serving.
    assert.equal((await mesh.call<Many>('http', 'http://echo/after', 1)).results[0]!.status, 200);
  });

  it('refuses every client that is not a verified mesh workload (STRICT)', async () => {
    const target = mesh.servers[0]!;
    const roots = mesh.ca.ca.roots();
    const at = { host: target.pod.ip, port: 8080 };
    const authority = mesh.ca.ca.authority();
    const past = Date.now() - 7_200_000;
    const cases = {
      plaintext: () =>
        plainAttempt(target.pod.ip, 8080, 'GET /neg-plain HTTP/1.1\r\nHost: echo\r\n\r\n'),
      garbage: () => plainAttempt(target.pod.ip, 8080, Buffer.from('16030100ffdeadbeef', 'hex')),
      'no client certificate': () => tlsAttempt(at, roots, '/neg-nocert'),
      'another CA': async () =>
        tlsAttempt(at, roots, '/neg-foreign', await foreignLeaf(mesh.spiffe('client'))),
      expired: async () =>
        tlsAttempt(
          at,
          roots,
          '/neg-expired',
          await meshLeaf(authority, {
            uri: mesh.spiffe('client'),
            notBefore: new Date(past),
            notAfter: new Date(past + 60_000),
          }),
        ),
      'no SPIFFE ID': async () =>
        tlsAttempt(at, roots, '/neg-nospiffe', await meshLeaf(authority, {})),
      // Chains to the mesh's roots, but is not /ns/<ns>/sa/<sa>: once crashed the sidecar.
      'odd SPIFFE ID over HTTP': async () =>
        tlsAttempt(at, roots, '/neg-odd', await meshLeaf(authority, { uri: ODD_ID })),
      'odd SPIFFE ID over TCP': async () =>
        tlsAttempt(
          { ...at, alpn: 'weft-tcp' },
          roots,
          '/neg-odd',
          await meshLeaf(authority, { uri: ODD_ID }),
        ),
    };
    const before = await mesh.metric(target, 'weft_sidecar_refused_total', 'direction="inbound"');
    for (const [name, attempt] of Object.entries(cases)) {
      const outcome = await attempt();
      assert.ok('refused' in outcome, `${name}: ${JSON.stringify(outcome)}`);
    }
    const after = await mesh.metric(target, 'weft_sidecar_refused_total', 'direction="inbound"');
    assert.equal(after - before, Object.keys(cases).length);
    // The control: a valid mesh certificate gets through, so the refusals are real.
    const valid = await meshLeaf(authority, { uri: mesh.spiffe('client') });
    const ok = await tlsAttempt(at, roots, '/neg-valid', valid);
    assert.deepEqual(ok, { response: 'HTTP/1.1 200 OK' });
    assert.equal(seenByApps('/neg-'), 1);
    assert.equal(target.sidecar.child.exitCode, null);
  });

  it('refuses an upstream whose SPIFFE ID the service may not have', async () => {
    const r = await mesh.call<Many>('http', 'http://impostor/impostor', 1);
    assert.equal(r.results[0]!.status, 503);
    assert.equal(r.results[0]!.error, 'upstream_connect_failed');
    assert.equal(seenByApps('/impostor'), 0);
  });

  it("keeps the proxy's ports and loopback-only apps out of another pod's reach (STRICT, PERMISSIVE)", async () => {
    const target = mesh.servers[0]!;
    const ip = target.pod.ip;
    // The outsider holds a valid mesh identity: under STRICT that is all an attacker needs.
    const credFile = path.join(mesh.dir, 'outsider-credential.json');
    const valid = await meshLeaf(mesh.ca.ca.authority(), { uri: mesh.spiffe('client') });
    writeFileSync(credFile, JSON.stringify({ ...valid, roots: mesh.ca.ca.roots() }));
    const send = (mode: string, port: number, request: string): Promise<Outcome> => {
      if (mode === 'STRICT') return mesh.outside<Outcome>('tls', ip, port, credFile, request);
      const [method, url] = request.includes(' ') ? request.split(' ') : ['GET', request];
      const raw = `${method} ${url} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
      return mesh.outside<Outcome>('plain', ip, port, Buffer.from(raw).toString('base64'));
    };
    const blocked: [number, string][] = [
      [15000, '/config_dump'],
      [15000, '/certs'],
      [15000, 'POST /quitquitquit'],
      [15001, '/'],
      [15006, '/'],
    ];
    const refusedFor = (reason: string): Promise<number> =>
      mesh.metric(target, 'weft_sidecar_refused_total', `reason="${reason}"`);
    for (const mode of ['STRICT', 'PERMISSIVE']) {
      if (mode === 'PERMISSIVE') {
        mesh.writeConfig((c) => void (c.inbound.mode = 'PERMISSIVE'));
        await eventually('PERMISSIVE to apply', async () => {
          const r = await send(mode, 8080, '/outsider-permissive');
          return 'response' in r && r.response === 'HTTP/1.1 200 OK' ? true : undefined;
        });
      }
      const before = await refusedFor('proxy_port');
      for (const [port, request] of blocked) {
        const outcome = await send(mode, port, request);
        assert.ok('refused' in outcome, `${mode} :${port} ${request}: ${JSON.stringify(outcome)}`);
      }
      // 15006 dialled directly is the listener itself: refused as not redirected.
      assert.equal((await refusedFor('proxy_port')) - before, 4, mode);
      // The app's loopback-only debug server: the sidecar dials the pod IP, where it is not.
      const debug = await send(mode, 6060, '/debug-from-outside');
      assert.ok(!('response' in debug) || !debug.response.includes(' 200 '), JSON.stringify(debug));
      // The app's real port still answers.
      assert.deepEqual(await send(mode, 8080, '/outsider-ok'), { response: 'HTTP/1.1 200 OK' });
    }
    assert.equal(seenByApps('debug-from-outside'), 0);
    assert.equal(target.sidecar.child.exitCode, null, 'quitquitquit from outside was refused');
    mesh.writeConfig(() => undefined);
    await eventually('STRICT to apply again', async () => {
      const plain = await plainAttempt(ip, 8080, 'GET / HTTP/1.1\r\n\r\n');
      return 'refused' in plain ? true : undefined;
    });
  });

  it("runs the app's probes as the kubelet would: HTTPS unverified, its headers, the pod IP", async () => {
    const ip = mesh.servers[0]!.pod.ip;
    const probe = async (p: string): Promise<number> =>
      (await fetch(`http://${ip}:15020/app-health/app/${p}`)).status;
    // HTTPS with a self-signed certificate and the X-Probe header the app requires.
    assert.equal(await probe('livez'), 200);
    // The loopback-only debug server fails its probe, as it would for the kubelet.
    assert.equal(await probe('readyz'), 503);
  });

  it('serves real clients while another pod holds silent connections (max-connections 20)', async () => {
    const pod = mesh.servers[2]!;
    await pod.restartSidecar(['--max-connections', '20']);
    try {
      // 60 connections that never send a byte, held 14 s (the handshake bound is 10 s).
      const holder = mesh.spawnOutside('silent', pod.pod.ip, 8080, 60, 14);
      await holder.waitFor(/"opened":60/);
      await sleep(300);
      const r = await mesh.call<Many>('http', 'http://echo/while-silent', 9);
      assert.deepEqual(
        r.results.map((x) => x.status),
        Array(9).fill(200),
      );
      assert.ok(r.results.some((x) => x.pod === pod.name));
      const evicted = await mesh.metric(pod, 'weft_sidecar_refused_total', 'evicted_silent');
      assert.ok(evicted >= 40, `evicted ${evicted}`);
      // Every silent connection was closed by the sidecar: evicted, or past the bound.
      const end = JSON.parse(await holder.waitFor(/closedByServer/, 20_000)) as {
        closedByServer: number;
      };
      assert.equal(end.closedByServer, 60);
    } finally {
      await pod.restartSidecar();
    }
  });

  it('cuts a peer that sends its request head a byte at a time (slowloris): inbound mTLS and :15020', async () => {
    const pod = mesh.servers[2]!;
    await pod.restartSidecar(['--header-timeout-seconds', '2']);
    try {
      // A valid mesh identity: under STRICT that is all this attacker needs.
      const credFile = path.join(mesh.dir, 'slowloris-credential.json');
      const valid = await meshLeaf(mesh.ca.ca.authority(), { uri: mesh.spiffe('client') });
      writeFileSync(credFile, JSON.stringify({ ...valid, roots: mesh.ca.ca.roots() }));
      const timeouts = (): Promise<number> =>
        mesh.metric(pod, 'weft_sidecar_refused_total', 'reason="header_timeout"');
      const before = await timeouts();
      type Cut = { cutAfterMs: number; sent: number; response: string };
      // A byte every 500 ms: without the bound the client gives up after 30 s.
      const [inbound, health] = await Promise.all([
        mesh.outside<Cut>('slowloris', pod.pod.ip, 8080, credFile),
        mesh.outside<Cut>('slowloris', pod.pod.ip, 15020, '-'),
      ]);
      for (const [name, cut] of Object.entries({ inbound, health })) {
        const text = `${name}: ${JSON.stringify(cut)}`;
        assert.ok(cut.cutAfterMs >= 1500 && cut.cutAfterMs < 8000, text);
        assert.match(cut.response, /^HTTP\/1\.1 408 /, text);
      }
      assert.equal((await timeouts()) - before, 1);
      assert.equal(seenByApps('/slowloris'), 0);
      assert.equal(pod.sidecar.child.exitCode, null);
    } finally {
      await pod.restartSidecar();
    }
  });

  it('passes unknown destinations through as plain TCP', async () => {
    const server = http.createServer((_req, res) => res.end('{"pod":"outside","headers":{}}'));
    await new Promise<void>((r) => server.listen(0, NODE_IP, r));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await mesh.call<Many>('http', `http://${NODE_IP}:${port}/`, 2);
      assert.deepEqual(
        r.results.map((x) => [x.status, x.pod]),
        [
          [200, 'outside'],
          [200, 'outside'],
        ],
      );
    } finally {
      server.close();
    }
  });

  it('applies a new mesh config live, keeps the last good one when a file is bad', async () => {
    const only = mesh.servers[1]!;
    mesh.writeConfig((c) => {
      c.services[0]!.endpoints = c.services[0]!.endpoints.filter((e) => e.address === only.pod.ip);
      c.inbound.mode = 'PERMISSIVE';
    });
    await eventually('the new endpoints to apply', async () => {
      const r = await mesh.call<Many>('http', 'http://echo/reload', 6);
      return r.results.every((x) => x.pod === only.name) ? true : undefined;
    });
    // PERMISSIVE takes plaintext too (once that pod's sidecar has read the file).
    await eventually('plaintext to be accepted', async () => {
      const plain = await plainAttempt(
        only.pod.ip,
        8080,
        'GET /permissive HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n',
      );
      return 'response' in plain && plain.response === 'HTTP/1.1 200 OK' ? true : undefined;
    });

    const refusedBefore = await mesh.metric(
      mesh.client,
      'weft_sidecar_config_reload_failures_total',
    );
    await import('node:fs').then((fs) =>
      fs.writeFileSync(mesh.meshConfigFile, '{"services": [{"name": "Bad Name"}]}'),
    );
    await eventually('the bad file to be refused', async () => {
      const n = await mesh.metric(mesh.client, 'weft_sidecar_config_reload_failures_total');
      return n > refusedBefore ? true : undefined;
    });
    const still = await mesh.call<Many>('http', 'http://echo/still', 3);
    assert.ok(still.results.every((x) => x.status === 200 && x.pod === only.name));
    assert.ok(mesh.client.sidecar.output.some((l) => l.includes('services.0.name')));

    mesh.writeConfig(() => undefined);
    await eventually('the original config to apply', async () => {
      const r = await mesh.call<Many>('http', 'http://echo/restored', 6);
      return new Set(r.results.map((x) => x.pod)).size === 3 ? true : undefined;
    });
    await eventually('STRICT to refuse plaintext again', async () => {
      const plain = await plainAttempt(only.pod.ip, 8080, 'GET / HTTP/1.1\r\n\r\n');
      return 'refused' in plain ? true : undefined;
    });
  });

  it('rotates certificates under steady traffic without a failed request', async () => {
    const renewals = async (): Promise<number[]> =>
      Promise.all(
        [mesh.client, ...mesh.servers].map((p) =>
          mesh.metric(p, 'weft_agent_certificate_renewals_total'),
        ),
      );
    const before = await renewals();
    const r = await mesh.call<{ ok: number; failed: number; failures: string[] }>(
      'load',
      'http://echo/rotate',
      20,
      40,
    );
    const after = await renewals();
    assert.equal(r.failed, 0, JSON.stringify(r.failures));
    assert.ok(r.ok > 400, `only ${r.ok} requests`);
    // At least three new certificates on every sidecar during the run.
    for (const [i, n] of after.entries())
      assert.ok(n - before[i]! >= 3, `sidecar ${i}: ${n - before[i]!}`);
  });

  it("reports Istio's standard metrics, scraped by a real Prometheus", async () => {
    const prom = await startPrometheus(
      [mesh.client, ...mesh.servers].map((p) => `${p.pod.ip}:15020`),
    );
    try {
      await mesh.call<Many>('http', 'http://echo/metrics-check', 6);
      await mesh.call('tcp', 'echo', 5432, 'count me');
      const ns = mesh.namespace;
      const service = `echo.${ns}.svc.cluster.local`;
      const dest = await eventually(
        'destination-reported requests in Prometheus',
        async () => {
          // Earlier tests also sent plaintext (PERMISSIVE) and refused requests: pick
          // the client sidecar's series; its labels are asserted below.
          const r = await prom.query(
            `sum by (source_principal, destination_principal, connection_security_policy, response_code, request_protocol) (istio_requests_total{reporter="destination", destination_service="${service}", source_principal="${mesh.spiffe('client')}", response_code="200", request_protocol="http"})`,
          );
          return r.length === 1 && r[0]!.value >= 6 ? r : undefined;
        },
        30_000,
      );
      assert.deepEqual(dest[0]!.metric, {
        source_principal: mesh.spiffe('client'),
        destination_principal: mesh.spiffe('echo'),
        connection_security_policy: 'mutual_tls',
        response_code: '200',
        request_protocol: 'http',
      });
      const src = await eventually('source-reported requests in Prometheus', async () => {
        const r = await prom.query(
          `sum by (source_workload, destination_workload, destination_service_name) (istio_requests_total{reporter="source", source_workload="client", destination_service_name="echo"})`,
        );
        return r.length ? r : undefined;
      });
      assert.deepEqual(src[0]!.metric, {
        source_workload: 'client',
        destination_workload: 'echo',
        destination_service_name: 'echo',
      });
      const buckets = await prom.query(
        `count(istio_request_duration_milliseconds_bucket{reporter="source", source_workload="client"}) by (le)`,
      );
      assert.ok(buckets.some((b) => b.metric.le === '0.5'));
      assert.ok(buckets.some((b) => b.metric.le === '3600000'));
      // The gRPC-shaped call earlier: its protocol and status from the trailers.
      const grpc = await prom.query(
        'sum(istio_requests_total{reporter="source", request_protocol="grpc", grpc_response_status="0"})',
      );
      assert.ok(grpc[0]!.value >= 1);
      const tcp = await eventually('TCP metrics in Prometheus', async () => {
        const r = await prom.query(
          `sum(istio_tcp_received_bytes_total{reporter="destination", destination_service="${service}"})`,
        );
        return r.length && r[0]!.value >= 'count me'.length ? r : undefined;
      });
      assert.ok(tcp[0]!.value >= 8);
      const opened = await prom.query('sum(istio_tcp_connections_opened_total)');
      assert.ok(opened[0]!.value >= 2);
    } finally {
      await prom.stop();
    }
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const pod = mesh.servers[2]!;
    const code = await pod.sidecar.signal('SIGTERM');
    assert.equal(code, 0);
    assert.ok(pod.sidecar.output.some((l) => l.includes('"draining"')));
    await pod.restartSidecar();
    const back = await mesh.call<Many>('http', 'http://echo/back', 3);
    assert.deepEqual(
      back.results.map((x) => x.status),
      [200, 200, 200],
    );
  });
});
