import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseProbers } from '../src/app-probes.js';
import { createEphemeralCa } from '../src/pki/index.js';
import { probeHeaders, probeSource, runProbe } from './app-health.js';

interface Seen {
  readonly path: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
  readonly from: string | undefined;
}

describe('app probes, run as the kubelet runs them', () => {
  const seen: Seen[] = [];
  const record = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    seen.push({ path: req.url, headers: req.headers, from: req.socket.remoteAddress });
    res.writeHead(req.url === '/fail' ? 500 : 200).end();
  };
  let secure: https.Server;
  let plain: http.Server;
  let tcp: net.Server;
  const tcpFrom: (string | undefined)[] = [];
  const port = (s: net.Server): number => (s.address() as AddressInfo).port;

  before(async () => {
    // A real HTTPS app with a certificate nobody else trusts, as apps serve their probes.
    const ca = await createEphemeralCa('app-self-signed', 3_600_000);
    secure = https.createServer(await ca.serving({ dnsNames: ['app.internal'] }), record);
    plain = http.createServer(record);
    tcp = net.createServer((s) => {
      tcpFrom.push(s.remoteAddress);
      s.end();
    });
    for (const s of [secure, plain, tcp])
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  });
  after(() => {
    for (const s of [secure, plain, tcp]) s.close();
  });

  it('probes an HTTPS app over TLS without verifying its certificate', async () => {
    const status = await runProbe(
      { httpGet: { port: port(secure), path: '/healthz', scheme: 'HTTPS' } },
      '127.0.0.1',
    );
    assert.equal(status, 200);
    assert.equal(seen.at(-1)?.path, '/healthz');
    assert.equal(
      await runProbe(
        { httpGet: { port: port(secure), path: '/fail', scheme: 'https' } },
        '127.0.0.1',
      ),
      500,
    );
  });

  it('probes over plain HTTP when the scheme says so (or says nothing)', async () => {
    assert.equal(
      await runProbe({ httpGet: { port: port(plain), scheme: 'HTTP' } }, '127.0.0.1'),
      200,
    );
    assert.equal(seen.at(-1)?.path, '/');
    // Plain HTTP to the HTTPS app is a failed probe, as it is for the kubelet.
    assert.equal(await runProbe({ httpGet: { port: port(secure) } }, '127.0.0.1'), 503);
  });

  it('sends the probe’s headers over the kubelet’s defaults, Host included', async () => {
    const httpHeaders = [
      { name: 'Host', value: 'app.internal' },
      { name: 'X-Probe', value: 'a' },
      { name: 'x-probe', value: 'b' },
      { name: 'User-Agent', value: 'custom' },
    ];
    const status = await runProbe(
      { httpGet: { port: port(secure), path: '/h', scheme: 'HTTPS', httpHeaders } },
      '127.0.0.1',
    );
    assert.equal(status, 200);
    const h = seen.at(-1)!.headers;
    assert.equal(h.host, 'app.internal');
    assert.equal(h['x-probe'], 'a, b');
    assert.equal(h['user-agent'], 'custom');
    assert.equal(h.accept, '*/*');
    assert.deepEqual(probeHeaders({ port: 1 }), { 'user-agent': 'kube-probe/weft', accept: '*/*' });
  });

  it('goes to the probe’s host, or the pod IP when it names none (never assumed loopback)', async () => {
    // 127.0.0.2 stands for a pod IP the app did not bind: the probe fails there.
    const get = { port: port(plain) };
    assert.equal(await runProbe({ httpGet: get }, '127.0.0.2'), 503);
    assert.equal(await runProbe({ httpGet: { ...get, host: '127.0.0.1' } }, '127.0.0.2'), 200);
    assert.equal(await runProbe({ tcpSocket: { port: port(tcp) } }, '127.0.0.2'), 503);
    assert.equal(
      await runProbe({ tcpSocket: { port: port(tcp), host: '127.0.0.1' } }, '127.0.0.2'),
      200,
    );
  });

  it('probes this pod’s own addresses from 127.0.0.6, which the capture lets through', async () => {
    // In a pod, a probe of the pod IP from the sidecar's UID from any other source
    // would be sent to the inbound listener (src/capture/iptables-rules.ts).
    const podIp = '127.0.0.1';
    const from = async (p: Parameters<typeof runProbe>[0]): Promise<string | undefined> => {
      assert.equal(await runProbe(p, podIp), 200);
      return p.tcpSocket ? tcpFrom.at(-1) : seen.at(-1)?.from;
    };
    assert.equal(await from({ httpGet: { port: port(plain) } }), '127.0.0.6');
    assert.equal(await from({ httpGet: { port: port(secure), scheme: 'HTTPS' } }), '127.0.0.6');
    assert.equal(await from({ tcpSocket: { port: port(tcp) } }), '127.0.0.6');
    // Another host: a loopback source could not leave the pod. A name or IPv6: no binding.
    assert.deepEqual(probeSource('198.51.100.77', '198.51.100.10'), {});
    assert.deepEqual(probeSource('198.51.100.10', '198.51.100.10'), { localAddress: '127.0.0.6' });
    assert.deepEqual(probeSource('app.internal', '198.51.100.10'), {});
    assert.deepEqual(probeSource('::1', '::1'), {});
  });

  it('reads WEFT_APP_PROBERS through a schema that names the bad field', () => {
    const ok = parseProbers(
      '{"/app-health/web/livez":{"httpGet":{"port":8443,"scheme":"HTTPS","host":"h","httpHeaders":[{"name":"A","value":"b"}]}}}',
    );
    assert.equal(ok['/app-health/web/livez']?.httpGet?.scheme, 'HTTPS');
    assert.deepEqual(parseProbers(undefined), {});
    assert.throws(() => parseProbers('{'), /WEFT_APP_PROBERS is not JSON/);
    assert.throws(
      () => parseProbers('{"/app-health/web/livez":{"httpGet":{"port":1,"scheme":"FTP"}}}'),
      /\/app-health\/web\/livez\.httpGet\.scheme: scheme must be HTTP or HTTPS/,
    );
    assert.throws(
      () => parseProbers('{"/app-health/web/livez":{"httpGet":{"port":0}}}'),
      /httpGet\.port/,
    );
  });
});
