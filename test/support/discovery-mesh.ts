// A mesh fed by discovery, for the suites that need one (discovery-mesh,
// authz): the real API server with weft's manifests, the test CA, discovery
// against the API server, and pods as network namespaces (weft-init's iptables,
// the test app, `weft sidecar` as UID 1337) that learn the mesh only from
// discovery. Each suite adds its own objects (Services, slices, policies)
// between start() and meshPods().
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { SIDECAR_NODE_OPTIONS } from '../../src/sidecar-node-options.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from './cluster.js';
import { TestCluster } from './discovery-cluster.js';
import { APP } from './mesh-fixture.js';
import { NODE_IP, meshNet } from './mesh-net.js';
import type { MeshNet, Pod } from './mesh-net.js';
import { installManifests, startTestCa } from './weft-ca.js';
import type { TestCa } from './weft-ca.js';
import { WEFT_BIN, watchProcess } from './weft-process.js';
import type { WeftProcess } from './weft-process.js';

/** A meshed pod: its name and the ServiceAccount it runs as. */
export interface MeshedPod {
  readonly name: string;
  readonly serviceAccount: string;
}

export class DiscoveryMesh {
  readonly pods: Record<string, Pod> = {};
  readonly sidecars: Record<string, WeftProcess> = {};
  discovery: RunningDiscovery | undefined;
  private readonly procs: WeftProcess[] = [];
  private net: MeshNet | undefined;
  private ca: TestCa | undefined;
  private dir: string | undefined;

  private constructor(
    readonly cp: ControlPlane,
    readonly ns: string,
    readonly cluster: TestCluster,
  ) {}

  /**
   * The control plane with weft's manifests, the test CA, a namespace with these
   * ServiceAccounts and, for each pod, a network namespace and its Pod object
   * (label `app: <its ServiceAccount>`).
   */
  static async start(prefix: string, pods: readonly MeshedPod[]): Promise<DiscoveryMesh> {
    const cp = await startControlPlane();
    const ns = uniqueName(prefix);
    const m = new DiscoveryMesh(cp, ns, new TestCluster(cp.kubeConfig, ns));
    try {
      await m.setUp(prefix, pods);
    } catch (err) {
      await m.stop();
      throw err;
    }
    return m;
  }

  private async setUp(prefix: string, pods: readonly MeshedPod[]): Promise<void> {
    const { cp, ns } = this;
    this.net = meshNet();
    await installManifests(cp);
    this.ca = await startTestCa(cp, { listen: `${NODE_IP}:0`, servingIp: [NODE_IP] });
    await createNamespace(cp.kubeConfig, ns);
    for (const sa of new Set(pods.map((p) => p.serviceAccount))) {
      await this.cluster.serviceAccount(sa);
    }
    this.dir = mkdtempSync(path.join(os.tmpdir(), `weft-${prefix}-`));
    chmodSync(this.dir, 0o755);
    process.setMaxListeners(64);
    for (const p of pods) {
      const pod = this.net.addPod(p.name);
      this.pods[p.name] = pod;
      const labels = { app: p.serviceAccount };
      await this.cluster.pod({
        name: p.name,
        serviceAccount: p.serviceAccount,
        ip: pod.ip,
        labels,
      });
    }
  }

  /** A pod outside the mesh (no sidecar, no Pod object). */
  addOutsider(name: string): Pod {
    return this.net!.addPod(name);
  }

  /** Starts discovery and waits for its readiness, as the Service would before sending sidecars. */
  async startDiscovery(): Promise<RunningDiscovery> {
    const ca = this.ca!;
    const serving = await issueServingCertificate(
      ca.ca.authority(),
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: [NODE_IP] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    const discovery = await startDiscovery(
      parseConfig(DiscoveryConfigSchema, { listen: `${NODE_IP}:0`, kubeconfig: ca.kubeconfig }),
      { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
      createRegistry('discovery'),
      createLogger({ component: 'discovery' }, 'warn'),
    );
    this.discovery = discovery;
    // A CRD's storage may still be initializing, and discovery serves nothing until it has listed.
    await eventually('discovery to be ready', () =>
      Promise.resolve(discovery.ready() === undefined ? true : undefined),
    );
    return discovery;
  }

  /** weft-init, the app and the sidecar in each pod; resolves when every sidecar is ready. */
  async meshPods(pods: readonly MeshedPod[], sidecarFlags: readonly string[] = []): Promise<void> {
    const rootsFile = path.join(this.dir!, 'roots.pem');
    writeFileSync(rootsFile, this.ca!.ca.roots());
    for (const p of pods) {
      const tokenFile = path.join(this.dir!, `${p.name}.token`);
      const token = await createToken(this.cp, this.ns, p.serviceAccount);
      writeFileSync(tokenFile, token, { mode: 0o644 });
      this.sidecars[p.name] = this.spawnSidecar(p.name, tokenFile, rootsFile, sidecarFlags);
    }
    for (const p of pods) await this.ready(p.name);
  }

  private spawnSidecar(
    name: string,
    tokenFile: string,
    rootsFile: string,
    flags: readonly string[],
  ): WeftProcess {
    const pod = this.pods[name]!;
    pod.exec(['node', WEFT_BIN, 'init-iptables', '--exclude-inbound-ports=15020']);
    this.procs.push(watchProcess(pod.spawn(['node', APP, name])));
    const sidecar = watchProcess(
      pod.spawn(
        [
          'node',
          WEFT_BIN,
          'sidecar',
          ...['--discovery-address', `${NODE_IP}:${this.discovery!.port}`],
          ...['--ca-address', `${NODE_IP}:${this.ca!.ca.port}`],
          ...['--token-file', tokenFile, '--trust-bundle-file', rootsFile],
          ...['--pod-name', name, '--pod-namespace', this.ns, '--pod-ip', pod.ip],
          ...['--drain-seconds', '1', ...flags],
        ],
        { uid: 1337, env: { NODE_OPTIONS: SIDECAR_NODE_OPTIONS } },
      ),
    );
    this.procs.push(sidecar);
    return sidecar;
  }

  private async ready(name: string): Promise<void> {
    const pod = this.pods[name]!;
    const sidecar = this.sidecars[name]!;
    await eventually(
      `${name}'s sidecar to be ready (its first view applied)`,
      async () => {
        if (sidecar.child.exitCode !== null) throw new Error(sidecar.output.join('\n'));
        const res = await fetch(`http://${pod.ip}:15020/healthz/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${sidecar.output.slice(-8).join('\n')}`);
    });
  }

  /** Runs a test program (mesh-client, mesh-outsider) in a pod; its last line, parsed. */
  async run(pod: Pod, program: string, args: readonly (string | number)[]): Promise<unknown> {
    const cmd = ['netns', 'exec', pod.ns, 'node', program, ...args.map(String)];
    const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as unknown;
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.signal('SIGKILL')));
    await this.discovery?.stop();
    await this.ca?.ca.stop();
    this.net?.remove();
    await this.cp.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
