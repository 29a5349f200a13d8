// Test hosts of our own: network namespaces joined by a veth pair, on the
// documentation range 192.0.2.0/24 (RFC 5737), so no packet leaves this machine.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export const PROBE = path.resolve(import.meta.dirname, 'netns-probe.js');

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

export interface Pair {
  readonly client: string;
  readonly server: string;
  readonly clientIp: string;
  readonly serverIp: string;
  exec(ns: string, cmd: string[]): string;
  spawn(ns: string, cmd: string[]): ChildProcess;
  remove(): void;
}

export function netnsPair(): Pair {
  const id = randomBytes(3).toString('hex');
  const client = `weft-c-${id}`;
  const server = `weft-s-${id}`;
  ip('netns', 'add', client);
  ip('netns', 'add', server);
  ip('link', 'add', `wc${id}`, 'type', 'veth', 'peer', 'name', `ws${id}`);
  ip('link', 'set', `wc${id}`, 'netns', client);
  ip('link', 'set', `ws${id}`, 'netns', server);
  for (const [ns, dev, addr] of [
    [client, `wc${id}`, '192.0.2.1/24'],
    [server, `ws${id}`, '192.0.2.2/24'],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  let removed = false;
  const removeAll = (): void => {
    if (removed) return;
    removed = true;
    for (const ns of [client, server])
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  process.once('exit', removeAll);
  return {
    client,
    server,
    clientIp: '192.0.2.1',
    serverIp: '192.0.2.2',
    exec: (ns, cmd) =>
      execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', timeout: 20_000 }),
    spawn: (ns, cmd) =>
      spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'inherit'] }),
    remove: removeAll,
  };
}
