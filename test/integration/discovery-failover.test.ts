// Two `weft discovery` replicas (real processes) against the same real API server,
// real sidecars in network-namespace pods dialling both (`--discovery-address A,B`),
// steady mTLS traffic between two meshed apps: a replica killed (SIGKILL) or
// stopped (SIGTERM) costs no request, every sidecar moves to the other replica, and
// changes made afterwards reach them through it. The same replicas then show the
// certificate reload of `weft discovery`, port-level DISABLE for callers, and
// readiness that drops while a watch fails (the PeerAuthentication CRD deleted).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { SIDECAR_NODE_OPTIONS } from '../../src/sidecar-node-options.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { kubectl } from '../support/kubectl.js';
import { APP, CLIENT, ECHO_VIP } from '../support/mesh-fixture.js';
import { NODE_IP, meshNet } from '../support/mesh-net.js';
import type { MeshNet, Pod } from '../support/mesh-net.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { startWeft, watchProcess } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';
import { WEFT_BIN } from '../support/weft-process.js';

interface Replica {
  readonly weft: WeftProcess;
  readonly port: number;
  readonly health: number;
}

interface Load {
  ok: number;
  failed: number;
  failures: string[];
}

interface Many {
  results: { status: number; pod?: string; xfcc?: string }[];
}

const PA_CRD = 'manifests/crds/peerauthentications.weft.dev.yaml';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('discovery failover between two replicas', { timeout: 420_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let net: MeshNet;
  let cluster: TestCluster;
  let dir: string;
  const ns = uniqueName('dfail');
  const procs: WeftProcess[] = [];
  const pods: Record<string, Pod> = {};
  const replicas: Record<'a' | 'b', Replica | undefined> = { a: undefined, b: undefined };
  const names = ['client', 'echo-1', 'echo-2'];
  const files = { cert: '', key: '', roots: '' };

  const issue = async (): Promise<{ cert: string; key: string }> =>
    issueServingCertificate(
      ca.ca.authority(),
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: [NODE_IP] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );

  const startReplica = async (port = 0): Promise<Replica> => {
    const weft = startWeft([
      'discovery',
      ...['--listen', `${NODE_IP}:${port}`, '--health-listen', '127.0.0.1:0'],
      ...['--kubeconfig', ca.kubeconfig],
      ...['--tls-cert', files.cert, '--tls-key', files.key, '--roots', files.roots],
      ...['--tls-reload-ms', '300', '--watch-grace-ms', '2000'],
    ]);
    procs.push(weft);
    const ready = JSON.parse(await weft.waitFor(/"discovery ready"/)) as { port: number };
    const health = JSON.parse(await weft.waitFor(/"discovery health listening"/)) as {
      port: number;
    };
    const r = { weft, port: ready.port, health: health.port };
    await eventually('the replica to be ready', async () =>
      (await readyz(r)).status === 200 ? true : undefined,
    );
    return r;
  };

  const readyz = async (r: Replica): Promise<{ status: number; body: string }> => {
    const res = await fetch(`http://127.0.0.1:${r.health}/readyz`);
    return { status: res.status, body: await res.text() };
  };

  const metric = async (r: Replica, sample: RegExp): Promise<number | undefined> => {
    const text = await (await fetch(`http://127.0.0.1:${r.health}/metrics`)).text();
    const line = text.split('\n').find((l) => sample.test(l));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  const connected = (r: Replica): Promise<number | undefined> =>
    metric(r, /^weft_discovery_connected_sidecars[{ ]/);

  const run = async <T>(args: (string | number)[]): Promise<T> => {
    const cmd = ['netns', 'exec', pods.client!.ns, 'node', CLIENT, ...args.map(String)];
    const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 120_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as T;
  };

  /** Waits until all three sidecars hold a stream to `r` (and none to the other). */
  const allOn = async (r: Replica, what: string): Promise<void> => {
    await eventually(what, async () => ((await connected(r)) === names.length ? true : undefined));
  };

  before(async () => {
    cp = await startControlPlane();
    net = meshNet();
    await installManifests(cp);
    ca = await startTestCa(cp, { listen: `${NODE_IP}:0`, servingIp: [NODE_IP] });
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    for (const sa of ['client', 'echo']) await cluster.serviceAccount(sa);
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-dfail-'));
    chmodSync(dir, 0o755);
    process.setMaxListeners(64);
    files.cert = path.join(dir, 'tls.crt');
    files.key = path.join(dir, 'tls.key');
    files.roots = path.join(dir, 'roots.pem');
    const serving = await issue();
    writeFileSync(files.cert, serving.cert);
    writeFileSync(files.key, serving.key);
    writeFileSync(files.roots, ca.ca.roots());

    for (const name of names) {
      pods[name] = net.addPod(name);
      const sa = name === 'client' ? 'client' : 'echo';
      await cluster.pod({ name, serviceAccount: sa, ip: pods[name].ip, labels: { app: sa } });
    }
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: [{ name: 'http-web', port: 80, targetPort: 8080 }],
    });
    await cluster.slice('echo', [
      { pod: 'echo-1', ip: pods['echo-1']!.ip },
      { pod: 'echo-2', ip: pods['echo-2']!.ip },
    ]);
    replicas.a = await startReplica();
    replicas.b = await startReplica();
    const addresses = `${NODE_IP}:${replicas.a.port},${NODE_IP}:${replicas.b.port}`;

    for (const name of names) {
      const pod = pods[name]!;
      const sa = name === 'client' ? 'client' : 'echo';
      const tokenFile = path.join(dir, `${name}.token`);
      writeFileSync(tokenFile, await createToken(cp, ns, sa), { mode: 0o644 });
      pod.exec(['node', WEFT_BIN, 'init-iptables', '--exclude-inbound-ports=15020']);
      procs.push(watchProcess(pod.spawn(['node', APP, name])));
      const sidecar = watchProcess(
        pod.spawn(
          [
            'node',
            WEFT_BIN,
            'sidecar',
            ...['--discovery-address', addresses],
            ...['--ca-address', `${NODE_IP}:${ca.ca.port}`],
            ...['--token-file', tokenFile, '--trust-bundle-file', files.roots],
            ...['--pod-name', name, '--pod-namespace', ns, '--pod-ip', pod.ip],
            ...['--drain-seconds', '1'],
          ],
          { uid: 1337, env: { NODE_OPTIONS: SIDECAR_NODE_OPTIONS } },
        ),
      );
      procs.push(sidecar);
      await eventually(
        `${name}'s sidecar to be ready`,
        async () => {
          if (sidecar.child.exitCode !== null) throw new Error(sidecar.output.join('\n'));
          const res = await fetch(`http://${pod.ip}:15020/healthz/ready`).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        30_000,
      );
    }
    pods.client!.setHosts({ echo: ECHO_VIP });
    // The first address in every sidecar's list: all start on replica a.
    await allOn(replicas.a, 'every sidecar on replica a');
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.signal('SIGKILL')));
    await ca?.ca.stop();
    net?.remove();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Steady traffic while `disrupt` runs; then every request must have succeeded. */
  const underLoad = async (seconds: number, disrupt: () => Promise<void>): Promise<Load> => {
    const load = run<Load>(['load', 'http://echo/steady', seconds, 25]);
    await sleep(1500);
    await disrupt();
    const result = await load;
    assert.ok(result.ok > seconds * 10, JSON.stringify(result));
    assert.equal(result.failed, 0, JSON.stringify(result));
    return result;
  };

  const podsAnswering = async (): Promise<string[]> => {
    const r = await run<Many>(['http', 'http://echo/which', 6]);
    assert.ok(
      r.results.every((x) => x.status === 200),
      JSON.stringify(r),
    );
    return [...new Set(r.results.map((x) => x.pod!))].sort();
  };

  it('loses no request when the replica the sidecars use is killed, and they move to the other', async () => {
    const { a, b } = replicas as Record<'a' | 'b', Replica>;
    assert.equal(await connected(b), 0);
    let moved = 0;
    const load = await underLoad(12, async () => {
      const killed = Date.now();
      await a.weft.signal('SIGKILL');
      await allOn(b, 'every sidecar on replica b');
      moved = Date.now() - killed;
      // A change made after the kill reaches the sidecars through the survivor.
      await cluster.slice('echo', [{ pod: 'echo-2', ip: pods['echo-2']!.ip }]);
    });
    console.log(`SIGKILL: ${load.ok} requests, 0 failed; all sidecars on b after ${moved} ms`);
    await eventually('traffic to follow the change made after the kill', async () =>
      JSON.stringify(await podsAnswering()) === '["echo-2"]' ? true : undefined,
    );
  });

  it('loses no request when a replica stops gracefully; its sidecars move at once', async () => {
    const { a: dead, b } = replicas as Record<'a' | 'b', Replica>;
    // The killed replica restarts on its address (as a Pod behind the same name would).
    const a = await startReplica(dead.port);
    replicas.a = a;
    assert.equal(await connected(a), 0);
    let moved = 0;
    const load = await underLoad(10, async () => {
      const stopping = Date.now();
      const exit = b.weft.signal('SIGTERM');
      await allOn(a, 'every sidecar on the restarted replica a');
      moved = Date.now() - stopping;
      assert.equal(await exit, 0);
      await cluster.slice('echo', [
        { pod: 'echo-1', ip: pods['echo-1']!.ip },
        { pod: 'echo-2', ip: pods['echo-2']!.ip },
      ]);
    });
    console.log(`SIGTERM: ${load.ok} requests, 0 failed; all sidecars on a after ${moved} ms`);
    // Closed streams, not a dead peer: the sidecars need no PING deadline (10 s + 5 s) to
    // notice. Measured 0.45-1.6 s; the bound leaves room for a loaded machine.
    assert.ok(moved < 6000, `sidecars took ${moved} ms to move`);
    await eventually('traffic to follow the change made after the stop', async () =>
      JSON.stringify(await podsAnswering()) === '["echo-1","echo-2"]' ? true : undefined,
    );
    replicas.b = undefined;
  });

  it('reloads its certificate files without dropping streams, and refuses a bad set', async () => {
    const a = replicas.a!;
    const served = async (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({
          host: NODE_IP,
          port: a.port,
          cert: readFileSync(files.cert, 'utf8'),
          key: readFileSync(files.key, 'utf8'),
          ca: ca.ca.roots(),
          ALPNProtocols: ['h2'],
          checkServerIdentity: () => undefined, // an address; the chain is still verified
        });
        s.once('secureConnect', () => {
          resolve(s.getPeerCertificate().serialNumber);
          s.destroy();
        });
        s.once('error', reject);
      });
    const before = await served();
    const next = await issue();
    const nextSerial = new X509Certificate(next.cert).serialNumber;
    assert.notEqual(nextSerial.toUpperCase(), before.toUpperCase());
    writeFileSync(files.key, next.key);
    writeFileSync(files.cert, next.cert);
    await a.weft.waitFor(/"discovery TLS credentials reloaded"/, 10_000);
    assert.equal((await served()).toUpperCase(), nextSerial.toUpperCase());
    assert.equal(await connected(a), names.length, 'open streams survive the reload');

    // A key that is not the certificate's: refused, named, the new credentials stay.
    const other = await issue();
    writeFileSync(files.key, other.key);
    await a.weft.waitFor(/discovery TLS files refused.*does not match the certificate/, 10_000);
    writeFileSync(files.key, next.key); // for the client above
    assert.equal((await served()).toUpperCase(), nextSerial.toUpperCase());
    assert.equal(await connected(a), names.length);
    assert.equal((await podsAnswering()).length, 2);
  });

  it('makes callers send plaintext to a port a workload PeerAuthentication DISABLEs', async () => {
    await cluster.peerAuthentication(ns, 'echo-plain-web', {
      selector: { matchLabels: { app: 'echo' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '8080': { mode: 'DISABLE' } },
    });
    // Echo's inbound takes plaintext only on 8080; a caller that still sent mTLS would fail.
    await eventually('plaintext to echo:8080', async () => {
      const r = await run<Many>(['http', 'http://echo/plain', 4]);
      return r.results.every((x) => x.status === 200 && !x.xfcc) ? true : undefined;
    });
    await cluster.deletePeerAuthentication(ns, 'echo-plain-web');
    await eventually('mTLS to echo again', async () => {
      const r = await run<Many>(['http', 'http://echo/mtls', 4]);
      return r.results.every((x) => x.status === 200 && x.xfcc) ? true : undefined;
    });
  });

  it('turns unready while a watch fails after start-up, keeps serving, and recovers', async () => {
    const a = replicas.a!;
    const healthy = (): Promise<number | undefined> =>
      metric(a, /^weft_discovery_informer_healthy\{.*kind="peerauthentications"/);
    assert.equal(await healthy(), 1);
    const deleted = await kubectl(cp.kubeconfigPath, ['delete', '-f', PA_CRD, '--wait=true']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const body = await eventually(
      'readiness to drop',
      async () => {
        const r = await readyz(a);
        return r.status === 503 ? r.body : undefined;
      },
      30_000,
    );
    assert.match(body, /peerauthentications/);
    assert.equal(await healthy(), 0);
    // Its sidecars keep their streams and their view: traffic is unaffected.
    assert.equal(await connected(a), names.length);
    assert.equal((await podsAnswering()).length, 2);

    const applied = await kubectl(cp.kubeconfigPath, ['apply', '-f', PA_CRD]);
    assert.equal(applied.code, 0, applied.stderr);
    await eventually(
      'readiness to return once a relist succeeds',
      async () => ((await readyz(a)).status === 200 ? true : undefined),
      60_000,
    );
    assert.equal(await healthy(), 1);
  });
});
