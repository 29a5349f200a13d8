// What the test cluster changes on the host, and the record teardown.sh undoes it
// from: the bridge with the node IP, ip_forward (the bridge's gateway role and
// ClusterIP traffic need it), and a state.env in the run directory naming the
// bridge, the binaries, the sysctls' old values and what existed before the run
// (network namespaces, pod log folders) so teardown removes only what we made.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterNetwork } from './network.js';

/** The repository's test/cluster folder (scripts live beside the compiled dist/ copy). */
export const clusterSourceDir: string = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/cluster',
);

const SYSCTLS = {
  SYSCTL_IP_FORWARD: '/proc/sys/net/ipv4/ip_forward',
  SYSCTL_ROUTE_LOCALNET: '/proc/sys/net/ipv4/conf/all/route_localnet',
  SYSCTL_BRIDGE_NF: '/proc/sys/net/bridge/bridge-nf-call-iptables',
} as const;

const readSysctl = (file: string): string =>
  existsSync(file) ? readFileSync(file, 'utf8').trim() : '';

const listOrEmpty = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

export function preflight(net: ClusterNetwork): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the test cluster needs root (containerd, bridges, iptables): run with sudo');
  }
  if (existsSync(`/sys/class/net/${net.bridge}`)) {
    throw new Error(
      `bridge ${net.bridge} exists: another test cluster is running, or one died uncleanly ` +
        `(run test/cluster/teardown.sh on its /tmp/weft-cluster-* directory, or 'ip link delete ${net.bridge}')`,
    );
  }
}

export interface HostState {
  readonly nodeBins: string;
  readonly containerdRoot: string;
}

/** Writes state.env before anything changes, so a teardown at any point knows what to undo. */
export function recordHostState(dir: string, net: ClusterNetwork, state: HostState): void {
  const lines = [
    `BRIDGE=${net.bridge}`,
    `NODE_BINS='${state.nodeBins}'`,
    `CONTAINERD_ROOT='${state.containerdRoot}'`,
    ...Object.entries(SYSCTLS).map(([k, file]) => `${k}=${readSysctl(file)}`),
    `NETNS_BEFORE='${listOrEmpty('/var/run/netns').join(' ')}'`,
    `LOGS_BEFORE='${[...listOrEmpty('/var/log/pods'), ...listOrEmpty('/var/log/containers')].join(' ')}'`,
  ];
  writeFileSync(path.join(dir, 'state.env'), `${lines.join('\n')}\n`);
}

export function createBridge(net: ClusterNetwork): void {
  const ip = (...args: string[]): void => {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ip('link', 'add', net.bridge, 'type', 'bridge');
  ip('addr', 'add', `${net.nodeIp}/${net.prefixLength}`, 'dev', net.bridge);
  ip('link', 'set', net.bridge, 'up');
  writeFileSync(SYSCTLS.SYSCTL_IP_FORWARD, '1');
}

/** Runs teardown.sh now (stop) and waits for it. */
export function teardown(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(clusterSourceDir, 'teardown.sh'), [dir], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`teardown.sh exited with ${String(code)}`)),
    );
  });
}

/**
 * A detached teardown.sh that waits for this process to die, then undoes the run:
 * an interrupted test or a SIGKILLed `npm run cluster` leaves nothing behind.
 * Returns a function that dismisses it (after a clean stop).
 */
export function startClusterReaper(dir: string): () => Promise<void> {
  const reaper = spawn(
    path.join(clusterSourceDir, 'teardown.sh'),
    [dir, '--after-pid', String(process.pid)],
    { detached: true, stdio: 'ignore' },
  );
  // Unref'd so an idle test process can still exit; the reaper then runs the
  // teardown on its own, which is its purpose.
  reaper.unref();
  const exited = new Promise<void>((resolve) => reaper.once('exit', () => resolve()));
  return async () => {
    if (reaper.exitCode !== null || reaper.signalCode !== null) return;
    // Ref'd again while we wait, so the wait itself holds the event loop open.
    reaper.ref();
    try {
      reaper.kill('SIGKILL');
    } catch {
      // already gone
    }
    // Bounded: SIGKILL cannot be caught, so the exit arrives at once.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
  };
}
