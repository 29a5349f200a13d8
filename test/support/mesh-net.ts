// A small cluster network of our own: a bridge in the root namespace (the "node",
// 198.51.100.1, where the CA and Prometheus run) and one network namespace per
// pod on 198.51.100.0/24 (RFC 5737 TEST-NET-2), so nothing leaves this machine.
// Service virtual IPs come from 203.0.113.0/24 (TEST-NET-3); `ip netns exec`
// mounts /etc/netns/<ns>/hosts over /etc/hosts, so apps resolve service names.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

export const NODE_IP = '198.51.100.1';
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

export interface Pod {
  readonly ns: string;
  readonly ip: string;
  /** Runs to completion inside the pod (as root, so its traffic is captured). */
  exec(cmd: string[], input?: string): string;
  /** Starts a long-running process inside the pod, as `uid` if given. */
  spawn(cmd: string[], opts?: { uid?: number; env?: NodeJS.ProcessEnv }): ChildProcess;
  /** /etc/hosts inside the pod. */
  setHosts(entries: Record<string, string>): void;
}

export interface MeshNet {
  readonly bridge: string;
  addPod(name: string): Pod;
  remove(): void;
}

/** Leftovers of a run that was killed (its exit hook never ran): they would shadow our routes. */
function removeStale(): void {
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const name = /^\d+: (wb[0-9a-f]{6})[:@]/.exec(line)?.[1];
    if (name) execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  }
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = /^(weft-[a-z0-9-]+-[0-9a-f]{6})\b/.exec(line)?.[1];
    if (!ns) continue;
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}

export function meshNet(): MeshNet {
  removeStale();
  const id = randomBytes(3).toString('hex');
  const bridge = `wb${id}`;
  ip('link', 'add', bridge, 'type', 'bridge');
  ip('addr', 'add', `${NODE_IP}/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  const namespaces: string[] = [];
  let next = 10;
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    for (const ns of namespaces) {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  };
  process.once('exit', remove);
  return {
    bridge,
    remove,
    addPod(name) {
      const ns = `weft-${name}-${id}`;
      const addr = `198.51.100.${next++}`;
      const host = `h${id}${namespaces.length}`;
      namespaces.push(ns);
      ip('netns', 'add', ns);
      ip('link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', host, 'master', bridge);
      ip('link', 'set', host, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'route', 'add', 'default', 'via', NODE_IP);
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      return {
        ns,
        ip: addr,
        exec: (cmd, input) =>
          execFileSync('ip', ['netns', 'exec', ns, ...cmd], {
            encoding: 'utf8',
            timeout: 60_000,
            ...(input !== undefined ? { input } : {}),
          }),
        spawn(cmd, opts = {}) {
          const as =
            opts.uid !== undefined
              ? ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups']
              : [];
          const options: SpawnOptions = {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, ...opts.env },
          };
          const child = spawn('ip', ['netns', 'exec', ns, ...as, ...cmd], options);
          // Killed if this process exits first; forgotten once it exits itself, or
          // a long bench spawning fortio per block piles up exit listeners.
          const kill = (): void => void child.kill('SIGKILL');
          process.once('exit', kill);
          child.once('exit', () => process.off('exit', kill));
          return child;
        },
        setHosts(entries) {
          const lines = Object.entries(entries).map(([name, a]) => `${a} ${name}`);
          writeFileSync(`/etc/netns/${ns}/hosts`, `127.0.0.1 localhost\n${lines.join('\n')}\n`);
        },
      };
    },
  };
}
