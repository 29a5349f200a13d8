// Issue 13's "kubectl weft authz check agrees with the sidecar on every case of
// the table (one test drives both)". Every row of src/authz/cases.ts becomes real
// objects in a real API server: its policies as AuthorizationPolicies, its
// workload as a pod behind a Service with an EndpointSlice (the destination
// address and port of the row's request). The real `kubectl weft authz check`
// (the plugin through the real kubectl) is asked about the row's request, and its
// decision, deciding policy and rule (and AUDIT and dry-run marks where the row
// names them) must be the table's and the sidecar path's for the same row
// (test/support/authz-sidecar.ts: discovery's selection → view → sidecar
// compile → authorize layer).
//
// Each row lives in namespaces of its own (its `foo` is `t<i>-foo-<run>`, its
// root namespace `t<i>-weft-system-<run>`, given to the CLI with
// --root-namespace), so all rows are set up at once and checked in parallel.
//
// Rows whose policies the CRD refuses at admission (CEL, enum, pattern) cannot be
// created today. A cluster can still hold them: created under an older, laxer
// CRD. The test makes exactly that happen (a schemaless CRD of the same name
// while those are created, then the real CRD again), so the CLI meets them as
// stored objects, and it checks that the real CRD refuses them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { AuthzCase } from '../../src/authz/cases.js';
import { AUTHZ_CASES } from '../../src/authz/cases.js';
import type { Decision, PolicyObject } from '../../src/authz/index.js';
import { AUTHORIZATION_POLICY } from '../../src/authz/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { asExpected, sidecarDecision } from '../support/authz-sidecar.js';
import { eventually, uniqueName } from '../support/cluster.js';
import { kubectl } from '../support/kubectl.js';
import { pluginEnv } from '../support/plugin.js';

const CRD_FILE = path.resolve(
  import.meta.dirname,
  '../../../manifests/crds/authorizationpolicies.weft.dev.yaml',
);
const CRD_NAME = 'authorizationpolicies.weft.dev';
/** The real CRD, with the API's own field names (x-kubernetes-validations...). */
const REAL_CRD = parse(readFileSync(CRD_FILE, 'utf8')) as Crd;

interface Crd {
  metadata: { name: string; resourceVersion?: string };
  [field: string]: unknown;
}
const RUN = uniqueName('x').slice(2);
const SERVICE = 'httpbin';
const { group, version, plural } = AUTHORIZATION_POLICY;

/** The row's namespaces: each name in the table gets one of its own. */
const nsOf = (row: number, ns: string): string => `t${row}-${ns}-${RUN}`;

/** What a row's request is, as `kubectl weft authz check` flags. */
function checkArgs(row: number, c: AuthzCase): string[] {
  const { source, destination, sni, http } = c.request;
  const peer = /^spiffe:\/\/cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(source.principal ?? '');
  const args = [
    ...(peer ? ['--from', `${peer[1]}/${peer[2]}`] : ['--plaintext']),
    ...['--to', `${SERVICE}.${nsOf(row, c.workload.namespace)}:${destination.port}`],
    ...['--source-ip', source.ip],
    ...(source.remoteIp ? ['--remote-ip', source.remoteIp] : []),
    ...(sni ? ['--sni', sni] : []),
    ...['--root-namespace', nsOf(row, 'weft-system'), '-o', 'json'],
  ];
  if (!http) return args;
  const headers = Object.entries(http.headers).flatMap(([k, v]) =>
    (typeof v === 'string' ? [v] : (v ?? [])).flatMap((x) => ['-H', `${k}: ${x}`]),
  );
  return [...args, http.method, http.path, '--host', http.host, ...headers];
}

/** The CLI's answer with the row's namespaces named as the table names them. */
function inTableTerms(row: number, c: AuthzCase, d: Decision): Decision {
  const names = new Set([
    c.workload.namespace,
    'weft-system',
    ...c.policies.map((p) => p.namespace),
  ]);
  const back = (ref: string): string => {
    for (const ns of names)
      if (ref.startsWith(`${nsOf(row, ns)}/`)) return ref.replace(nsOf(row, ns), ns);
    return ref;
  };
  return {
    ...d,
    ...(d.policy !== undefined ? { policy: back(d.policy) } : {}),
    audit: d.audit.map((a) => ({ ...a, policy: back(a.policy) })),
    dryRun: d.dryRun.map((x) => ({ ...x, policy: back(x.policy) })),
  };
}

function policyBody(row: number, p: PolicyObject): object {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'AuthorizationPolicy',
    metadata: {
      name: p.name,
      namespace: nsOf(row, p.namespace),
      ...(p.annotations ? { annotations: p.annotations } : {}),
    },
    spec: p.spec,
  };
}

/** A schemaless CRD of the same name: what a cluster had before weft's CRD refused these shapes. */
const LAX_CRD: Crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: CRD_NAME },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural, singular: 'authorizationpolicy', kind: 'AuthorizationPolicy' },
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};

/** Runs `fn` on every item, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

describe(
  'kubectl weft authz check agrees with the sidecar on every row of the table',
  {
    timeout: 900_000,
    concurrency: 4,
  },
  () => {
    let cp: ControlPlane;
    const env = pluginEnv();
    /** Per row, the policies the real CRD refused at admission. */
    const refused = new Map<number, PolicyObject[]>();

    /** Installs or replaces the CRD, as kubectl would, and waits until `ready` says it is served. */
    const setCrd = async (crd: Crd, ready: () => Promise<boolean>): Promise<void> => {
      const got = await kubectl(cp.kubeconfigPath, ['get', 'crd', CRD_NAME, '-o', 'json']);
      const rv =
        got.code === 0 ? (JSON.parse(got.stdout) as Crd).metadata.resourceVersion : undefined;
      const body = {
        ...crd,
        metadata: { ...crd.metadata, ...(rv ? { resourceVersion: rv } : {}) },
      };
      const verb = rv ? 'replace' : 'create';
      const r = await kubectl(
        cp.kubeconfigPath,
        [verb, '-f', '-'],
        process.env,
        JSON.stringify(body),
      );
      assert.equal(r.code, 0, r.stderr);
      await eventually(
        'the CRD change to be served',
        async () => ((await ready()) ? true : undefined),
        60_000,
      );
    };

    const createPolicy = (row: number, p: PolicyObject, dryRun?: 'All') =>
      cp.kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: nsOf(row, p.namespace),
        body: policyBody(row, p),
        ...(dryRun ? { dryRun } : {}),
      });

    before(async () => {
      cp = await startControlPlane();
      const rows = AUTHZ_CASES.map((c, i) => ({ c, i }));
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      const disco = cp.kubeConfig.makeApiClient(DiscoveryV1Api);
      const namespaces = rows.flatMap(({ c, i }) =>
        [
          ...new Set([c.workload.namespace, 'weft-system', ...c.policies.map((p) => p.namespace)]),
        ].map((ns) => nsOf(i, ns)),
      );
      await inParallel(namespaces, 8, async (name) => {
        await core.createNamespace({ body: { metadata: { name } } });
      });
      // Which schema is served: the real CRD refuses CUSTOM (422), the lax one stores it.
      const probe = { namespace: 'foo', name: 'probe', spec: { action: 'CUSTOM' } };
      // After a schema change the API server re-initializes the CRD's storage (lists answer
      // 429 "storage is (re)initializing" a while): served means listable too.
      const listable = (): Promise<boolean> =>
        cp.kubeConfig
          .makeApiClient(CustomObjectsApi)
          .listNamespacedCustomObject({ group, version, plural, namespace: nsOf(0, 'foo') })
          .then(
            () => true,
            () => false,
          );
      const schema = (): Promise<'real' | 'lax' | 'none'> =>
        createPolicy(0, probe, 'All').then(
          () => 'lax',
          (err: { code?: number }) => (err.code === 422 ? 'real' : 'none'),
        );
      const served = async (): Promise<'real' | 'lax' | 'none'> =>
        (await listable()) ? schema() : 'none';
      await setCrd(REAL_CRD, async () => (await served()) === 'real');
      await inParallel(rows, 8, async ({ c, i }) => {
        const namespace = nsOf(i, c.workload.namespace);
        const { ip, port } = c.request.destination;
        const pod = `${c.workload.labels.app ?? 'app'}-1`;
        await core.createNamespacedServiceAccount({
          namespace,
          body: { metadata: { name: SERVICE } },
        });
        await core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: pod, labels: c.workload.labels },
            spec: {
              serviceAccountName: SERVICE,
              containers: [{ name: 'app', image: 'example.invalid/app:1' }],
            },
          },
        });
        await core.createNamespacedService({
          namespace,
          body: {
            metadata: { name: SERVICE },
            spec: { selector: c.workload.labels, ports: [{ name: 'p', port, targetPort: port }] },
          },
        });
        await disco.createNamespacedEndpointSlice({
          namespace,
          body: {
            metadata: { name: `${SERVICE}-x`, labels: { 'kubernetes.io/service-name': SERVICE } },
            addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
            ports: [{ name: 'p', port, protocol: 'TCP' }],
            endpoints: [{ addresses: [ip], targetRef: { kind: 'Pod', name: pod, namespace } }],
          },
        });
        for (const p of c.policies) {
          await createPolicy(i, p).catch(() => refused.set(i, [...(refused.get(i) ?? []), p]));
        }
      });

      // What the real CRD refused, created under a lax CRD as an older cluster would
      // have stored it; then the real CRD again, as after an upgrade.
      await setCrd(LAX_CRD, async () => (await served()) === 'lax');
      await inParallel([...refused], 4, async ([i, policies]) => {
        for (const p of policies) await createPolicy(i, p);
      });
      await setCrd(REAL_CRD, async () => (await served()) === 'real');
    });

    after(async () => {
      await cp?.stop();
    });

    it('the real CRD refuses the invalid shapes it can express, and those rows fail closed', () => {
      const names = [...refused.keys()].map((i) => AUTHZ_CASES[i]!.name);
      assert.ok(refused.size >= 5, `refused at admission: ${names.join('; ')}`);
      for (const i of refused.keys()) {
        const e = AUTHZ_CASES[i]!.expect;
        assert.ok(e.rule === -1 || e.reason === 'no-allow-matched', AUTHZ_CASES[i]!.name);
      }
    });

    AUTHZ_CASES.forEach((c, i) => {
      it(`row ${i}: ${c.name}`, async () => {
        const r = await kubectl(
          cp.kubeconfigPath,
          ['weft', 'authz', 'check', ...checkArgs(i, c)],
          env,
        );
        assert.ok((r.code === 0 || r.code === 1) && r.stdout, `exit ${r.code}: ${r.stderr}`);
        const out = JSON.parse(r.stdout) as { items: (Decision & { pod: string })[] };
        assert.equal(out.items.length, 1, r.stdout);
        assert.equal(r.code, out.items[0]!.allow ? 0 : 1);
        const cli = asExpected(inTableTerms(i, c, out.items[0]!), c.expect);
        const sidecar = asExpected(await sidecarDecision(c), c.expect);
        assert.deepEqual(cli, sidecar, 'the CLI and the sidecar disagree');
        assert.deepEqual(cli, c.expect, 'both disagree with the table');
      });
    });
  },
);
