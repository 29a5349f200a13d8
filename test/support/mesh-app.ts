// The app in a test pod, knowing nothing of the mesh: HTTP/1.1 on 8080 (echoes
// what it saw as JSON, answers WebSocket-style upgrades by echoing bytes), h2c on
// 9090 (gRPC-shaped: answers with grpc-status in trailers), a TCP echo on 5432, a
// debug server bound to loopback only on 6060 (which no other pod may reach) and
// HTTPS with a self-signed certificate on 8446 (for the kubelet's HTTPS probes).
// Prints one JSON line per HTTP request it receives, so tests can prove what was
// (and was not) forwarded.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { createEphemeralCa } from '../../src/pki/index.js';

const pod = process.argv[2] ?? 'app';
/** Ports the fixture leaves out of capture (see BYPASS_PORTS in mesh-fixture.ts). */
const BYPASS_HTTP = 8099;
const BYPASS_H2 = 9099;
const seen = (what: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ pod, ...what }) + '\n');
};

const KB = Buffer.alloc(1024, 'w');
/**
 * How long `/slow…` takes to answer; `/flaky…` answers 503 to every third request,
 * `/fail…` to every one, `/fail-on-<pod>…` to every one on that pod only.
 */
const SLOW_MS = 2000;
let flaky = 0;

const h1 = http.createServer((req, res) => {
  if (req.url === '/1k') {
    // The benchmark's answer (PERF.md): 1 KB, nothing else.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': KB.length });
    res.end(KB);
    return;
  }
  let bytes = 0;
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    seen({ method: req.method, url: req.url, bytes });
    if (req.url?.startsWith('/stream')) {
      // A streamed (chunked) answer in several writes.
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`chunk-${n}\n`);
        if (++n === 5) {
          clearInterval(tick);
          res.end();
        }
      }, 20);
      return;
    }
    // For resilience tests: `/fail…` fails always, `/fail-on-<pod>…` only on that pod.
    const url = req.url ?? '';
    const failing = url.startsWith('/fail-on-')
      ? url.startsWith(`/fail-on-${pod}/`)
      : url.startsWith('/fail');
    if (failing) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('failing\n');
      return;
    }
    // For routing tests: a backend that fails one request in three, and a slow one.
    if (req.url?.startsWith('/flaky') && ++flaky % 3 === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('flaky\n');
      return;
    }
    const delay = req.url?.startsWith('/slow') ? SLOW_MS : 0;
    const body = JSON.stringify({
      pod,
      method: req.method,
      url: req.url,
      bytes,
      headers: req.headers,
      // The connection's peer: the sidecar's 127.0.0.6 for captured traffic.
      remote: req.socket.remoteAddress,
    });
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    }, delay);
  });
});
h1.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
  seen({ upgrade: req.headers.upgrade, url: req.url });
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  if (head.length) socket.write(head);
  socket.pipe(socket);
});
h1.listen(8080, '0.0.0.0');
// The same app on a port outside the mesh's capture: the benchmark's direct path.
const bypass = http.createServer((req, res) => h1.emit('request', req, res));
bypass.keepAliveTimeout = 65_000;
bypass.listen(BYPASS_HTTP, '0.0.0.0');

const h2 = http2.createServer();
h2.on('stream', (stream, headers) => {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    seen({ h2: true, path: headers[':path'], bytes: Buffer.concat(chunks).length });
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-pod': pod }));
    stream.end(Buffer.concat([Buffer.from(`${pod}:`), ...chunks]));
  });
});
h2.listen(9090, '0.0.0.0');
const h2Bypass = http2.createServer();
h2Bypass.on('stream', (stream, headers) => h2.emit('stream', stream, headers));
h2Bypass.listen(BYPASS_H2, '0.0.0.0');

net.createServer((s) => s.pipe(s)).listen(5432, '0.0.0.0', () => seen({ listening: true }));

// What an app exposes to itself only (pprof, admin consoles): loopback, port 6060.
export const DEBUG_PORT = 6060;
http
  .createServer((req, res) => {
    seen({ debug: req.url });
    res.end('debug\n');
  })
  .listen(DEBUG_PORT, '127.0.0.1');

// HTTPS with a certificate nobody trusts, as apps serve their own probes.
export const HTTPS_PORT = 8446;
const selfSigned = await createEphemeralCa(`${pod}-self-signed`, 3_600_000);
https
  .createServer(await selfSigned.serving({ dnsNames: [`${pod}.internal`] }), (req, res) => {
    seen({ https: req.url, probe: req.headers['x-probe'] });
    res.writeHead(req.headers['x-probe'] === 'yes' ? 200 : 400).end();
  })
  .listen(HTTPS_PORT, '0.0.0.0');
