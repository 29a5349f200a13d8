// The test cluster's echo app (image weft.test/echo:dev): an HTTP server that
// answers every request with what it received (method, path, headers including
// x-forwarded-client-cert, the peer address) and which pod answered, and a
// line-based TCP echo that prefixes each line with the pod name. Node built-ins
// only, so the image needs nothing but node.
//   node echo-app.js                 serve (HTTP_PORT, default 8080; TCP_PORT, default 9090)
//   node echo-app.js call <url>      one GET from inside the pod; prints status and body
//   node echo-app.js load <url> <ms> steady GETs (one at a time, 50 ms apart) for <ms>;
//                                    prints {"ok":N,"failed":N,"errors":[...]} as JSON
import http from 'node:http';
import net from 'node:net';

const pod = process.env.POD_NAME ?? 'unknown';

export interface EchoReply {
  readonly pod: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly peer: string;
  readonly body: string;
}

function serveHttp(port: number): http.Server {
  return http
    .createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 65_536) chunks.push(c);
      });
      req.on('end', () => {
        const reply: EchoReply = {
          pod,
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          peer: req.socket.remoteAddress ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        };
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo-pod': pod });
        res.end(JSON.stringify(reply));
      });
    })
    .listen(port);
}

function serveTcp(port: number): net.Server {
  return net
    .createServer((socket) => {
      let pending = '';
      socket.on('data', (data: Buffer) => {
        pending += data.toString('utf8');
        let nl = pending.indexOf('\n');
        while (nl >= 0 && pending.length < 1_000_000) {
          socket.write(`${pod} ${pending.slice(0, nl)}\n`);
          pending = pending.slice(nl + 1);
          nl = pending.indexOf('\n');
        }
      });
      socket.on('error', () => socket.destroy());
    })
    .listen(port);
}

async function call(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  process.stdout.write(`${res.status}\n${await res.text()}\n`);
}

async function load(url: string, durationMs: number): Promise<void> {
  const result = { ok: 0, failed: 0, errors: [] as string[] };
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) result.ok++;
      else throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      result.failed++;
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      if (result.errors.length < 5)
        result.errors.push(cause instanceof Error ? cause.message : String(cause));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const [mode, url, arg] = process.argv.slice(2);
if (mode === 'load' && url) {
  await load(url, Number(arg ?? 10_000));
} else if (mode === 'call' && url) {
  await call(url).catch((err: unknown) => {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    process.stdout.write(`ERROR ${cause instanceof Error ? cause.message : String(cause)}\n`);
    process.exitCode = 1;
  });
} else {
  const servers = [
    serveHttp(Number(process.env.HTTP_PORT ?? 8080)),
    serveTcp(Number(process.env.TCP_PORT ?? 9090)),
  ];
  process.once('SIGTERM', () => {
    for (const s of servers) s.close();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
