// Polls an HTTP(S) health endpoint until it answers 200, with a deadline; the
// caller's `alive` check ends the wait early when the process has died.
import http from 'node:http';
import https from 'node:https';

export interface ProbeTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function probe(url: string, tls?: ProbeTls): Promise<number> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...(tls ?? {}), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export async function waitForHealthy(
  url: string,
  opts: { timeoutMs: number; alive: () => boolean; tls?: ProbeTls },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (!opts.alive()) throw new Error(`process exited before ${url} became healthy`);
    if ((await probe(url, opts.tls)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become healthy within ${opts.timeoutMs} ms`);
}
