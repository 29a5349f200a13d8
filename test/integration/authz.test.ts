// AuthorizationPolicy end to end: pods as network namespaces (weft-init's
// iptables, the test app, `weft sidecar` as UID 1337), discovery against the real
// API server streaming each sidecar the policies that select its pod, real mTLS
// between the sidecars. Policies are applied with kubectl, as a user would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { issueServingCertificate } from '../../ca/serving-cert.js';
import { DiscoveryConfigSchema } from '../../discovery/config.js';
import { startDiscovery } from '../../discovery/main.js';
import type { RunningDiscovery } from '../../discovery/main.js';
import { parseConfig } from '../../src/config/parse.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import { SIDECAR_NODE_OPTIONS } from '../../src/names.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { TestCluster } from '../support/discovery-cluster.js';
import { kubectl } from '../support/kubectl.js';
import { APP, CLIENT, ECHO_VIP, OUTSIDER } from '../support/mesh-fixture.js';
import { NODE_IP, meshNet } from '../support/mesh-net.js';
import type { MeshNet, Pod } from '../support/mesh-net.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { WEFT_BIN, watchProcess } from '../support/weft-process.js';
import type { WeftProcess } from '../support/weft-process.js';

interface Many {
  results: { status: number; error?: string }[];
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const request = (method: string, p: string): string =>
  b64(`${method} ${p} HTTP/1.1\r\nHost: echo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);

/**
 * The CRD with its full schema ships in manifests/crds (the authz-core branch); a
 * branch without it gets a schemaless stand-in, so this suite tests enforcement,
 * not admission (test/integration/authz-cli.test.ts does that).
 */
async function ensureAuthzCrd(cp: ControlPlane): Promise<void> {
  const served = await kubectl(cp.kubeconfigPath, ['get', 'crd', 'authorizationpolicies.weft.dev']);
  if (served.code === 0) return;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'authorizationpolicies.weft.dev' },
    spec: {
      group: 'weft.dev',
      scope: 'Namespaced',
      names: {
        plural: 'authorizationpolicies',
        singular: 'authorizationpolicy',
        kind: 'AuthorizationPolicy',
      },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
  const r = await kubectl(
    cp.kubeconfigPath,
    ['apply', '-f', '-'],
    process.env,
    JSON.stringify(crd),
  );
  assert.equal(r.code, 0, r.stderr);
}

describe('authorization policy end to end', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let ca: TestCa;
  let net: MeshNet;
  let discovery: RunningDiscovery | undefined;
  let cluster: TestCluster;
  let dir: string;
  let outsider: Pod;
  const ns = uniqueName('authz');
  const procs: WeftProcess[] = [];
  const pods: Record<string, Pod> = {};
  const sidecars: Record<string, WeftProcess> = {};
  const principal = (sa: string): string => `cluster.local/ns/${ns}/sa/${sa}`;
  const SERVICE_ACCOUNT: Record<string, string> = {
    client: 'client',
    other: 'other',
    echo: 'echo',
  };

  const run = async (pod: Pod, program: string, args: (string | number)[]): Promise<unknown> => {
    const cmd = ['netns', 'exec', pod.ns, 'node', program, ...args.map(String)];
    const { stdout } = await promisify(execFile)('ip', cmd, { timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as unknown;
  };
  /** Status codes of `n` GETs from a meshed pod, through both sidecars. */
  const statuses = async (from: string, p: string, n = 1): Promise<number[]> =>
    ((await run(pods[from]!, CLIENT, ['http', `http://echo${p}`, n])) as Many).results.map(
      (r) => r.status,
    );
  /** The first response line of a raw request from a meshed pod. */
  const raw = async (from: string, method: string, p: string): Promise<string> =>
    (
      (await run(pods[from]!, CLIENT, ['raw', 'echo', 80, request(method, p)])) as {
        response: string;
      }
    ).response;

  /** An echo over the TCP port from a meshed pod; `closed` if the sidecars closed it first. */
  const tcp = (from: string): Promise<{ echoed: string; closed?: boolean }> =>
    run(pods[from]!, CLIENT, ['tcp', 'echo', 5432, 'ping']) as Promise<{
      echoed: string;
      closed?: boolean;
    }>;
  /** Policies a test applied and has not removed: removed after it, pass or fail. */
  const live = new Set<string>();
  const apply = async (name: string, spec: unknown, namespace = ns): Promise<void> => {
    const body = {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'AuthorizationPolicy',
      metadata: { name, namespace },
      spec,
    };
    const r = await kubectl(
      cp.kubeconfigPath,
      ['apply', '-f', '-'],
      process.env,
      JSON.stringify(body),
    );
    assert.equal(r.code, 0, r.stderr);
    live.add(`${namespace}/${name}`);
  };
  const remove = async (name: string, namespace = ns): Promise<void> => {
    live.delete(`${namespace}/${name}`);
    const r = await kubectl(cp.kubeconfigPath, [
      'delete',
      'authorizationpolicy.weft.dev',
      name,
      '-n',
      namespace,
    ]);
    assert.equal(r.code, 0, r.stderr);
  };
  /** Waits until `check` holds: a policy reaches the sidecars within discovery's debounce. */
  const until = (what: string, check: () => Promise<boolean>): Promise<true> =>
    eventually(what, async () => ((await check()) ? true : undefined), 15_000);

  before(async () => {
    cp = await startControlPlane();
    net = meshNet();
    await installManifests(cp);
    await ensureAuthzCrd(cp);
    await eventually('the AuthorizationPolicy CRD to be served', async () => {
      const r = await kubectl(cp.kubeconfigPath, ['get', 'authorizationpolicies.weft.dev', '-A']);
      return r.code === 0 ? true : undefined;
    });
    ca = await startTestCa(cp, { listen: `${NODE_IP}:0`, servingIp: [NODE_IP] });
    await createNamespace(cp.kubeConfig, ns);
    cluster = new TestCluster(cp.kubeConfig, ns);
    for (const sa of ['client', 'other', 'echo']) await cluster.serviceAccount(sa);
    // PERMISSIVE, so a plaintext client reaches the inbound authorization at all.
    await cluster.peerAuthentication(ns, 'default', { mtls: { mode: 'PERMISSIVE' } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-authz-'));
    chmodSync(dir, 0o755);
    process.setMaxListeners(64);
    const rootsFile = path.join(dir, 'roots.pem');
    writeFileSync(rootsFile, ca.ca.roots());

    for (const name of Object.keys(SERVICE_ACCOUNT)) {
      pods[name] = net.addPod(name);
      const sa = SERVICE_ACCOUNT[name]!;
      await cluster.pod({ name, serviceAccount: sa, ip: pods[name].ip, labels: { app: sa } });
    }
    outsider = net.addPod('outsider');
    await cluster.service('echo', {
      selector: { app: 'echo' },
      externalIPs: [ECHO_VIP],
      ports: [
        { name: 'http-web', port: 80, targetPort: 8080 },
        { name: 'tcp-db', port: 5432, targetPort: 5432 },
      ],
    });
    await cluster.slice(
      'echo',
      [{ pod: 'echo', ip: pods.echo!.ip }],
      [
        { name: 'http-web', port: 8080 },
        { name: 'tcp-db', port: 5432 },
      ],
    );

    const serving = await issueServingCertificate(
      ca.ca.authority(),
      { trustDomain: 'cluster.local', namespace: 'weft-system', dnsNames: [], ips: [NODE_IP] },
      { defaultLifetimeSeconds: 3600, maxLifetimeSeconds: 3600, backdateSeconds: 60 },
    );
    discovery = await startDiscovery(
      parseConfig(DiscoveryConfigSchema, { listen: `${NODE_IP}:0`, kubeconfig: ca.kubeconfig }),
      { cert: serving.cert, key: serving.key, roots: ca.ca.roots() },
      createRegistry('discovery'),
      createLogger({ component: 'discovery' }, 'warn'),
    );
    // As the Service would: no sidecar is sent to a replica before /readyz says so (a CRD's
    // storage may still be initializing, and discovery serves nothing until it has listed).
    await eventually('discovery to be ready', () =>
      Promise.resolve(discovery!.ready() === undefined ? true : undefined),
    );

    for (const name of Object.keys(SERVICE_ACCOUNT)) {
      const pod = pods[name]!;
      const tokenFile = path.join(dir, `${name}.token`);
      writeFileSync(tokenFile, await createToken(cp, ns, SERVICE_ACCOUNT[name]!), { mode: 0o644 });
      pod.exec(['node', WEFT_BIN, 'init-iptables', '--exclude-inbound-ports=15020']);
      procs.push(watchProcess(pod.spawn(['node', APP, name])));
      const sidecar = watchProcess(
        pod.spawn(
          [
            'node',
            WEFT_BIN,
            'sidecar',
            ...['--discovery-address', `${NODE_IP}:${discovery.port}`],
            ...['--ca-address', `${NODE_IP}:${ca.ca.port}`],
            ...['--token-file', tokenFile, '--trust-bundle-file', rootsFile],
            ...['--pod-name', name, '--pod-namespace', ns, '--pod-ip', pod.ip],
            ...['--drain-seconds', '1', '--access-log', 'true'],
          ],
          { uid: 1337, env: { NODE_OPTIONS: SIDECAR_NODE_OPTIONS } },
        ),
      );
      procs.push(sidecar);
      sidecars[name] = sidecar;
    }
    for (const name of Object.keys(SERVICE_ACCOUNT)) {
      const pod = pods[name]!;
      await eventually(
        `${name}'s sidecar to be ready`,
        async () => {
          if (sidecars[name]!.child.exitCode !== null)
            throw new Error(sidecars[name]!.output.join('\n'));
          const res = await fetch(`http://${pod.ip}:15020/healthz/ready`).catch(() => undefined);
          return res?.status === 200 ? true : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${sidecars[name]!.output.slice(-8).join('\n')}`);
      });
    }
    for (const name of ['client', 'other'])
      pods[name]!.setHosts({ echo: ECHO_VIP, [`echo.${ns}.svc.cluster.local`]: ECHO_VIP });
  });

  afterEach(async () => {
    if (!live.size) return;
    for (const key of [...live]) {
      const [namespace, name] = key.split('/') as [string, string];
      await remove(name, namespace);
    }
    // The next test starts from no policy: wait until the sidecars have it.
    await until('every policy to be lifted', async () => {
      const [http] = await statuses('client', '/lifted');
      return http === 200 && (await tcp('client')).echoed === 'ping';
    });
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.signal('SIGKILL')));
    await discovery?.stop();
    await ca?.ca.stop();
    net?.remove();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('allow-nothing (namespace-wide) denies every request with 403 RBAC: access denied', async () => {
    assert.deepEqual(await statuses('client', '/before', 2), [200, 200]);
    await apply('allow-nothing', {});
    await until('allow-nothing to be enforced', async () =>
      (await statuses('client', '/x')).every((s) => s === 403),
    );
    assert.equal(await raw('client', 'GET', '/x'), 'HTTP/1.1 403 Forbidden');
    await remove('allow-nothing');
    await until('allow-nothing to be lifted', async () =>
      (await statuses('client', '/y')).every((s) => s === 200),
    );
  });

  it('ALLOW by principal and method: the client may GET; POST and other callers are denied', async () => {
    await apply('readers', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [
        {
          from: [{ source: { principals: [principal('client')] } }],
          to: [{ operation: { methods: ['GET'] } }],
        },
      ],
    });
    await until('readers to be enforced', async () => (await statuses('other', '/r'))[0] === 403);
    assert.deepEqual(await statuses('client', '/r', 3), [200, 200, 200]);
    assert.equal(await raw('client', 'POST', '/w'), 'HTTP/1.1 403 Forbidden');
    // The access log names the deciding policy and rule.
    const decided = `"path":"/r",`;
    const log = sidecars.echo!.output.filter((l) => l.includes(decided)).pop();
    assert.match(log ?? '', new RegExp(`"policy":"${ns}/readers","rule":0`));
  });

  it('DENY by path prefix, namespace-wide and mesh-wide (root namespace weft-system)', async () => {
    await apply('no-admin', {
      action: 'DENY',
      rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }],
    });
    await apply(
      'mesh-no-debug',
      { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/debug*'] } }] }] },
      'weft-system',
    );
    await until('both DENY policies to be enforced', async () => {
      const [admin, debug] = await Promise.all([
        statuses('client', '/admin/users'),
        statuses('client', '/debug/pprof'),
      ]);
      return admin[0] === 403 && debug[0] === 403;
    });
    assert.deepEqual(await statuses('client', '/public', 2), [200, 200]);
  });

  it('a TCP port: a denied connection is closed after the handshake; an ALLOW with HTTP-only fields cannot allow it', async () => {
    assert.equal((await tcp('client')).echoed, 'ping');
    await apply('db-from-other', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [
        {
          from: [{ source: { principals: [principal('other')] } }],
          to: [{ operation: { ports: ['5432'] } }],
        },
      ],
    });
    await until('the TCP policy to be enforced', async () => (await tcp('client')).closed === true);
    assert.equal((await tcp('other')).echoed, 'ping');
    // Istio's TCP rule: an ALLOW rule naming methods is ignored on an opaque port.
    await apply('db-from-other', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [
        {
          from: [{ source: { principals: [principal('other')] } }],
          to: [{ operation: { methods: ['GET'] } }],
        },
      ],
    });
    await until(
      'the HTTP-only rule to stop allowing TCP',
      async () => (await tcp('other')).closed === true,
    );
  });

  it('a policy change under steady traffic fails no request the policy allows', async () => {
    await apply('steady', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [{ from: [{ source: { principals: [principal('client')] } }] }],
    });
    await until('the first policy', async () => (await statuses('other', '/s'))[0] === 403);
    const load = run(pods.client!, CLIENT, ['load', 'http://echo/steady', 8, 40]) as Promise<{
      ok: number;
      failed: number;
      failures: string[];
    }>;
    await new Promise((r) => setTimeout(r, 1500));
    // Replace it with one that still allows the client (and now the other caller), then
    // add an unrelated DENY: each change is a new version pushed mid-traffic.
    await apply('steady', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [{ from: [{ source: { principals: [principal('client'), principal('other')] } }] }],
    });
    await until(
      'the change to take effect',
      async () => (await statuses('other', '/s'))[0] === 200,
    );
    await apply('steady-deny', {
      action: 'DENY',
      rules: [{ to: [{ operation: { paths: ['/elsewhere'] } }] }],
    });
    const result = await load;
    assert.equal(result.failed, 0, JSON.stringify(result.failures));
    assert.ok(result.ok > 100, `${result.ok} requests`);
  });

  it('a plaintext client under PERMISSIVE is never matched by principal rules', async () => {
    const plain = async (): Promise<string> => {
      const r = (await run(outsider, OUTSIDER, [
        'plain',
        pods.echo!.ip,
        8080,
        request('GET', '/p'),
      ])) as {
        response?: string;
        refused?: string;
      };
      return r.response ?? `refused: ${r.refused}`;
    };
    assert.equal(await plain(), 'HTTP/1.1 200 OK');
    // `*` principals: any verified peer. A plaintext request has none.
    await apply('any-peer', {
      selector: { matchLabels: { app: 'echo' } },
      rules: [{ from: [{ source: { principals: ['*'] } }] }],
    });
    await until(
      'any-peer to be enforced',
      async () => (await plain()) === 'HTTP/1.1 403 Forbidden',
    );
    assert.deepEqual(await statuses('client', '/p', 2), [200, 200]);
  });
});
