// Run inside a pod of its own with no sidecar and no capture (another pod on the
// node's network, as an attacker with network reach would be). Each mode prints
// JSON lines:
//   plain HOST PORT BASE64              the first response line, or how it ended
//   tls HOST PORT CREDFILE PATH [ALPN]  the same over TLS with the credential given
//   silent HOST PORT N SECONDS          opens N connections that never send a byte,
//                                       holds them, then says how many the server closed
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { plainAttempt, tlsAttempt } from './mtls-attempt.js';
import type { Credential } from './mtls-attempt.js';

const [mode, host, port, ...rest] = process.argv.slice(2);
const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + '\n');

async function silent(n: number, seconds: number): Promise<void> {
  let closedByServer = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: host!, port: Number(port) });
          s.on('connect', () => resolve(s));
          s.on('error', () => resolve(s));
          s.on('close', () => closedByServer++);
        }),
    ),
  );
  print({ opened: sockets.length });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  print({ closedByServer });
  for (const s of sockets) s.destroy();
}

async function main(): Promise<void> {
  if (mode === 'plain') {
    return print(await plainAttempt(host!, Number(port), Buffer.from(rest[0]!, 'base64')));
  }
  if (mode === 'tls') {
    const { roots, ...cred } = JSON.parse(readFileSync(rest[0]!, 'utf8')) as Credential & {
      roots: string;
    };
    const at = { host: host!, port: Number(port), alpn: rest[2] };
    return print(await tlsAttempt(at, roots, rest[1]!, cred));
  }
  if (mode === 'silent') return silent(Number(rest[0]), Number(rest[1]));
  process.stderr.write('usage: mesh-outsider plain|tls|silent HOST PORT ...\n');
  process.exitCode = 2;
}

await main();
