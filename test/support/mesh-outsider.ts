// Run inside a pod of its own with no sidecar and no capture (another pod on the
// node's network, as an attacker with network reach would be). Each mode prints
// JSON lines:
//   plain HOST PORT BASE64              the first response line, or how it ended
//   tls HOST PORT CREDFILE PATH [ALPN]  the same over TLS with the credential given
//   silent HOST PORT N SECONDS          opens N connections that never send a byte,
//                                       holds them, then says how many the server closed
//   slowloris HOST PORT CREDFILE|-      sends a request head a byte every 500 ms (over
//                                       mTLS with the credential, or plaintext for -) for
//                                       30 s at most: when the server cut it, and what it said
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
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

function slowloris(credFile: string): Promise<void> {
  const head = `GET /slowloris HTTP/1.1\r\nHost: echo\r\nX-Pad: ${'a'.repeat(100)}`;
  const at = { host: host!, port: Number(port) };
  const tlsConnect = (): tls.TLSSocket => {
    const { roots, ...cred } = JSON.parse(readFileSync(credFile, 'utf8')) as Credential & {
      roots: string;
    };
    const options = { ...at, ...cred, ca: roots, ALPNProtocols: ['http/1.1'] };
    return tls.connect({ ...options, checkServerIdentity: () => undefined });
  };
  const socket = credFile === '-' ? net.connect(at) : tlsConnect();
  const started = Date.now();
  let received = '';
  let sent = 0;
  return new Promise((resolve) => {
    const drip = setInterval(() => {
      if (sent < head.length && Date.now() - started < 30_000) socket.write(head[sent++]!);
      else socket.destroy();
    }, 500);
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      print({ cutAfterMs: Date.now() - started, sent, response: received.split('\r\n')[0] });
      resolve();
    });
  });
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
  if (mode === 'slowloris') return slowloris(rest[0]!);
  process.stderr.write('usage: mesh-outsider plain|tls|silent|slowloris HOST PORT ...\n');
  process.exitCode = 2;
}

await main();
