// AuthorizationPolicy end to end: pods as network namespaces (weft-init's
// iptables, the test app, `weft sidecar` as UID 1337), discovery against the real
// API server streaming each sidecar the policies that select its pod, real mTLS
// between the sidecars. Policies are applied with kubectl, as a user would.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ControlPlane } from '../controlplane/testenv.js';
import { eventually } from '../support/cluster.js';
import { DiscoveryMesh } from '../support/discovery-mesh.js';
import { kubectl } from '../support/kubectl.js';
import { CLIENT, ECHO_VIP, OUTSIDER } from '../support/mesh-fixture.js';
import type { Pod } from '../support/mesh-net.js';

interface Many {
  results: { status: number; error?: string }[];
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const request = (method: string, p: string): string =>
  b64(`${method} ${p} HTTP/1.1\r\nHost: echo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);

const PODS = [
  { name: 'client', serviceAccount: 'client' },
  { name: 'other', serviceAccount: 'other' },
  { name: 'echo', serviceAccount: 'echo' },
];

describe('authorization policy end to end', { timeout: 300_000 }, () => {
  let mesh: DiscoveryMesh;
  let cp: ControlPlane;
  let ns: string;
  let outsider: Pod;
  let pods: DiscoveryMesh['pods'];
  let sidecars: DiscoveryMesh['sidecars'];
  const principal = (sa: string): string => `cluster.local/ns/${ns}/sa/${sa}`;

  const run = (pod: Pod, program: string, args: (string | number)[]): Promise<unknown> =>
    mesh.run(pod, program, args);
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
    mesh = await DiscoveryMesh.start('authz', PODS);
    ({ cp, ns, pods, sidecars } = mesh);
    const { cluster } = mesh;
    // PERMISSIVE, so a plaintext client reaches the inbound authorization at all.
    await cluster.peerAuthentication(ns, 'default', { mtls: { mode: 'PERMISSIVE' } });
    outsider = mesh.addOutsider('outsider');
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
    await mesh.startDiscovery();
    await mesh.meshPods(PODS, ['--access-log', 'true']);
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
    await mesh?.stop();
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
