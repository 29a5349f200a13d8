// The one-node test cluster itself: a pod runs from a locally built image, resolves
// a Service through CoreDNS and reaches it through kube-proxy's ClusterIP; stop()
// and the reaper (when the starting process is SIGKILLed) each leave nothing:
// no process, mount, network namespace, bridge, chain, run directory or sysctl change.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cacheRoot, startCluster } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import { snapshotHost } from '../cluster/host-snapshot.js';
import type { HostSnapshot } from '../cluster/host-snapshot.js';
import { waitUntil } from '../cluster/wait.js';
import { callFromPod, echoApp } from '../cluster/workloads.js';
import { kubectl } from '../support/kubectl.js';

const containerdRoot = path.join(cacheRoot(), 'containerd-root');
const snapshot = (): HostSnapshot => snapshotHost(containerdRoot);

describe('the test cluster', () => {
  let cluster: Cluster;
  let before_: HostSnapshot;
  before(async () => {
    before_ = snapshot();
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  it('runs pods from local images, with cluster DNS and ClusterIP Services', async () => {
    const kc = cluster.kubeconfigPath;
    assert.equal((await kubectl(kc, ['create', 'namespace', 'dns'])).code, 0);
    const applied = await kubectl(kc, ['apply', '-f', '-'], undefined, echoApp('echo', 'dns'));
    assert.equal(applied.code, 0, applied.stderr);
    const ready = await kubectl(kc, [
      'rollout',
      'status',
      '-n',
      'dns',
      'deploy/echo',
      '--timeout=60s',
    ]);
    assert.equal(ready.code, 0, ready.stderr);
    const pods = await kubectl(kc, [
      'get',
      'pods',
      '-n',
      'dns',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    const names = pods.stdout.split(' ').filter(Boolean);
    assert.equal(names.length, 2);
    const seen = new Set<string>();
    await waitUntil(
      'both replicas answering through the Service name',
      async () => {
        const res = await callFromPod(
          kc,
          'dns',
          names[0]!,
          'http://echo.dns.svc.cluster.local:8080/x',
        );
        assert.equal(res.status, 200, res.error);
        seen.add((JSON.parse(res.body) as { pod: string }).pod);
        return seen.size === 2;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.deepEqual([...seen].sort(), [...names].sort());
  });

  it('stops leaving nothing behind', async () => {
    await cluster.stop();
    assert.deepEqual(snapshot(), before_);
  });
});

describe('npm run cluster', () => {
  it('prints KUBECONFIG once ready, and the reaper cleans up when it is SIGKILLed', async () => {
    const before_ = snapshot();
    const cli = path.resolve(import.meta.dirname, '../cluster/cli.js');
    const child = spawn(process.execPath, [cli], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await waitUntil('KUBECONFIG= on stdout', () => Promise.resolve(/^KUBECONFIG=\//m.test(out)), {
      timeoutMs: 120_000,
      dead: () => (child.exitCode !== null ? `exited ${child.exitCode}: ${err}` : undefined),
    });
    const kubeconfig = out.match(/^KUBECONFIG=(.*)$/m)![1]!;
    const sa = await kubectl(kubeconfig, ['get', 'serviceaccount', 'default', '-n', 'default']);
    assert.equal(sa.code, 0, sa.stderr);
    child.kill('SIGKILL');
    await waitUntil(
      'the reaper to restore the host',
      () => Promise.resolve(JSON.stringify(snapshot()) === JSON.stringify(before_)),
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch(() => assert.deepEqual(snapshot(), before_));
  });
});
