// What a test cluster could leave on the host, listed so a test can compare before
// and after: node processes (and any process started from a run directory),
// mounts under a run directory or containerd's root, network namespaces, network
// links, KUBE-*/CNI-* iptables chains, run directories, kubepods cgroups and the
// sysctls the cluster changes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HostSnapshot {
  readonly processes: readonly string[];
  readonly mounts: readonly string[];
  readonly netns: readonly string[];
  readonly links: readonly string[];
  readonly chains: readonly string[];
  readonly runDirs: readonly string[];
  readonly cgroups: readonly string[];
  readonly sysctls: readonly string[];
}

const NODE_PROGRAMS = new Set([
  'kubelet',
  'kube-proxy',
  'kube-scheduler',
  'kube-controller-manager',
  'coredns',
  'coredns-slim',
  'containerd',
  'containerd-shim-runc-v2',
  'pause',
]);

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function processes(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const exe = safe(() => readlinkSync(`/proc/${pid}/exe`), '');
    const cmd = safe(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8'), '');
    if (NODE_PROGRAMS.has(path.basename(exe)) || cmd.includes('/weft-cluster-')) {
      found.push(`${pid} ${cmd.replaceAll('\0', ' ').trim().slice(0, 120)}`);
    }
  }
  return found;
}

function mounts(containerdRoot: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.includes('/weft-cluster-') || m.startsWith(containerdRoot));
}

const chains = (): string[] =>
  ['iptables-save', 'ip6tables-save'].flatMap((cmd) =>
    safe(() => execFileSync(cmd, { encoding: 'utf8' }), '')
      .split('\n')
      .filter((l) => /(KUBE|CNI)-/.test(l))
      .map((l) => `${cmd}: ${l}`),
  );

const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

export function snapshotHost(containerdRoot: string): HostSnapshot {
  return {
    processes: processes(),
    mounts: mounts(containerdRoot),
    netns: list('/var/run/netns'),
    links: list('/sys/class/net'),
    chains: chains(),
    runDirs: list(os.tmpdir()).filter((d) => d.startsWith('weft-cluster-')),
    cgroups: list('/sys/fs/cgroup/memory').filter((d) => d.startsWith('kubepods')),
    sysctls: [
      '/proc/sys/net/ipv4/ip_forward',
      '/proc/sys/net/ipv4/conf/all/route_localnet',
      '/proc/sys/net/bridge/bridge-nf-call-iptables',
    ].map((f) => `${f}=${safe(() => readFileSync(f, 'utf8').trim(), '')}`),
  };
}
