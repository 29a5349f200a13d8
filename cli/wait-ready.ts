// `weft wait-ready`: the classic-sidecar postStart hook. The kubelet does not start
// the next container until this returns, so the app starts after the proxy is ready.
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { z } from 'zod';
import { positiveInt } from '../src/config/fields.js';
import { Ports } from '../src/capture/capture-spec.js';

const Schema = z.strictObject({
  url: z.url().default(`http://127.0.0.1:${Ports.Health}/healthz/ready`),
  timeoutSeconds: positiveInt(3600).default(120),
});

async function ready(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function runWaitReady(args: readonly string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write('Usage: weft wait-ready [--url URL] [--timeout-seconds N]\n');
    return 0;
  }
  const { url, timeoutSeconds } = parseConfig(
    Schema,
    parseFlags(args, { url: {}, 'timeout-seconds': {} }),
  );
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    if (await ready(url)) return 0;
    if (attempt % 10 === 0) process.stderr.write(`weft wait-ready: ${url} not ready yet\n`);
    await new Promise((r) => setTimeout(r, 200));
  }
  process.stderr.write(`weft wait-ready: ${url} not ready after ${timeoutSeconds} s\n`);
  return 1;
}
