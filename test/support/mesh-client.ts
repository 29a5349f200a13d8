// The client app in a test pod: plain clients that know nothing of the mesh
// (their connections are captured by iptables). Each mode prints one JSON line.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);
const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + '\n');

function get(
  url: string,
  agent: http.Agent,
  headers: http.OutgoingHttpHeaders = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

async function many(url: string, n: number): Promise<void> {
  // One keep-alive connection for every request: kube-proxy would pin it to one pod.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results = [];
  for (let i = 0; i < n; i++) {
    const r = await get(url, agent, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const seen =
      r.status === 200
        ? (JSON.parse(r.body) as { pod: string; remote: string; headers: Record<string, string> })
        : undefined;
    results.push({
      status: r.status,
      pod: seen?.pod,
      remote: seen?.remote,
      xfcc: seen?.headers['x-forwarded-client-cert'],
      traceparent: seen?.headers.traceparent,
      error: r.headers['x-weft-error'],
    });
  }
  print({ results });
  agent.destroy();
}

function post(url: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { expect: '100-continue' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          print({
            status: res.statusCode,
            continued,
            echoed: (JSON.parse(body) as { bytes: number }).bytes,
          });
          resolve();
        });
      },
    );
    let continued = false;
    req.on('continue', () => {
      continued = true;
      // A chunked body in several writes.
      const part = Buffer.alloc(Math.ceil(size / 4), 'x');
      for (let i = 0; i < 4; i++)
        req.write(part.subarray(0, Math.min(part.length, size - i * part.length)));
      req.end();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

function h2(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/weft.Echo/Say',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (body += c.toString()));
    stream.on('trailers', (t) => {
      print({ status, body, grpcStatus: t['grpc-status'], pod: t['x-pod'] });
      session.close();
      resolve();
    });
    stream.on('error', reject);
    stream.end('ping');
  });
}

function ws(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      s.write(
        `GET /chat HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      );
    });
    let data = '';
    let upgraded = false;
    s.on('data', (c: Buffer) => {
      data += c.toString();
      if (!upgraded && data.includes('\r\n\r\n')) {
        upgraded = true;
        const status = data.split('\r\n')[0];
        data = data.slice(data.indexOf('\r\n\r\n') + 4);
        if (!status?.includes(' 101 ')) {
          print({ status });
          s.destroy();
          return resolve();
        }
        s.write('hello-ws');
      }
      if (upgraded && data.includes('hello-ws')) {
        print({ status: 101, echoed: data });
        s.destroy();
        resolve();
      }
    });
    s.on('error', reject);
  });
}

function tcp(host: string, port: number, msg: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => s.write(msg));
    let data = '';
    let done = false;
    s.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.length >= msg.length) {
        done = true;
        print({ echoed: data });
        s.destroy();
        resolve();
      }
    });
    s.on('error', reject);
    // Closed by the other side before the echo (e.g. an authorization denial).
    s.on('close', () => {
      if (done) return;
      print({ echoed: data, closed: true });
      resolve();
    });
  });
}

/** Sends raw bytes; prints the first response line, or how the connection ended. */
function raw(host: string, port: number, b64: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => s.write(Buffer.from(b64, 'base64')));
    let data = '';
    s.setTimeout(5000, () => s.destroy());
    s.on('data', (c: Buffer) => (data += c.toString('latin1')));
    s.on('close', () => {
      print({ response: data.split('\r\n')[0] || 'closed' });
      resolve();
    });
    s.on('error', () => undefined);
  });
}

/** Steady traffic for `seconds` at about `rps`, each request checked. */
async function load(url: string, seconds: number, rps: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const end = Date.now() + seconds * 1000;
  let ok = 0;
  const failures: string[] = [];
  const inflight = new Set<Promise<void>>();
  while (Date.now() < end) {
    const p = get(url, agent).then(
      (r) => void (r.status === 200 ? ok++ : failures.push(`${r.status} ${r.body.slice(0, 80)}`)),
      (e: Error) => void failures.push(e.message),
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    await new Promise((r) => setTimeout(r, 1000 / rps));
  }
  await Promise.all(inflight);
  print({ ok, failed: failures.length, failures: failures.slice(0, 5) });
  agent.destroy();
}

/** `n` GETs with the given headers on one connection: what each got, and what the app saw. */
async function requests(url: string, n: number, headers: http.OutgoingHttpHeaders): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results = [];
  for (let i = 0; i < n; i++) {
    const started = Date.now();
    const r = await get(url, agent, headers);
    let seen: { pod?: string; url?: string; headers?: Record<string, string> } = {};
    try {
      seen = JSON.parse(r.body) as typeof seen;
    } catch {
      // not the app's JSON: a local reply, a redirect, a 503 from the flaky path
    }
    results.push({
      status: r.status,
      pod: seen.pod,
      url: seen.url,
      host: seen.headers?.host,
      location: r.headers.location,
      error: r.headers['x-weft-error'],
      ms: Date.now() - started,
    });
  }
  print({ results });
  agent.destroy();
}

/** `n` GETs at once, each on its own connection: the status and weft error of each. */
async function burst(url: string, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: n });
  const results = await Promise.all(
    Array.from({ length: n }, () =>
      get(url, agent).then(
        (r) => ({ status: r.status, error: r.headers['x-weft-error'] }),
        (e: Error) => ({ status: 0, error: e.message }),
      ),
    ),
  );
  print({ results });
  agent.destroy();
}

/**
 * Each URL twice on one keep-alive connection: the first request's time (a scoped
 * sidecar subscribes to the service and waits for its endpoints, then connects) and
 * the second's (warm), in ms.
 */
async function first(urls: readonly string[]): Promise<void> {
  const results = [];
  for (const url of urls) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const t0 = performance.now();
    const a = await get(url, agent);
    const t1 = performance.now();
    const b = await get(url, agent);
    const t2 = performance.now();
    results.push({ url, status: [a.status, b.status], firstMs: t1 - t0, warmMs: t2 - t1 });
    agent.destroy();
  }
  print({ results });
}

const modes: Record<string, () => Promise<void>> = {
  burst: () => burst(args[0]!, Number(args[1] ?? 1)),
  req: () =>
    requests(
      args[0]!,
      Number(args[1] ?? 1),
      JSON.parse(args[2] ?? '{}') as http.OutgoingHttpHeaders,
    ),
  first: () => first(args),
  http: () => many(args[0]!, Number(args[1] ?? 1)),
  post: () => post(args[0]!, Number(args[1])),
  h2: () => h2(args[0]!),
  ws: () => ws(args[0]!, Number(args[1])),
  tcp: () => tcp(args[0]!, Number(args[1]), args[2]!),
  raw: () => raw(args[0]!, Number(args[1]), args[2]!),
  load: () => load(args[0]!, Number(args[1]), Number(args[2])),
  stream: () =>
    get(args[0]!, new http.Agent()).then((r) => print({ status: r.status, body: r.body })),
};

const run = modes[mode ?? ''];
if (!run) {
  process.stderr.write(`usage: mesh-client ${Object.keys(modes).join('|')} ...\n`);
  process.exitCode = 2;
} else {
  run().catch((e: Error) => {
    print({ error: e.message });
  });
}
