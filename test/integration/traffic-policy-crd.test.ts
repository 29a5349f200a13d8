// The TrafficPolicy CRD against the real API server: it installs and becomes
// Established (its CEL rules fit the cost budget), takes every policy the unit
// table compiles as valid, refuses at admission the invalid ones the schema can
// name, and stores the status src/traffic computes (Accepted / Invalid with the
// field, Conflicted naming the older policy that wins), which the printer
// columns show.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { TRAFFIC_CASES } from '../../src/traffic/cases.js';
import {
  TRAFFIC_POLICY,
  compileTrafficPolicy,
  trafficPolicyConditions,
} from '../../src/traffic/index.js';
import type { CompiledTrafficPolicy, TrafficPolicyCondition } from '../../src/traffic/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, uniqueName } from '../support/cluster.js';
import { kubectl } from '../support/kubectl.js';

const CRD = path.resolve(
  import.meta.dirname,
  '../../../manifests/crds/trafficpolicies.weft.dev.yaml',
);

interface TrafficPolicyResource extends KubernetesObject {
  spec?: unknown;
  status?: { conditions?: (TrafficPolicyCondition & { lastTransitionTime?: string })[] };
}

describe('TrafficPolicy CRD (real kube-apiserver)', () => {
  let cp: ControlPlane;
  const ns = uniqueName('traffic-crd');
  let n = 0;

  before(async () => {
    cp = await startControlPlane();
    const r = await kubectl(cp.kubeconfigPath, ['apply', '-f', CRD]);
    assert.equal(r.code, 0, r.stderr);
    const w = await kubectl(cp.kubeconfigPath, [
      'wait',
      '--for=condition=Established',
      'crd/trafficpolicies.weft.dev',
      '--timeout=60s',
    ]);
    assert.equal(w.code, 0, w.stderr);
    await createNamespace(cp.kubeConfig, ns);
  });
  after(async () => {
    await cp?.stop();
  });

  /** JSON, not YAML: kubectl reads YAML 1.1 (a header named `y` would be a boolean). */
  const apply = (spec: unknown, name = `p${n++}`) =>
    kubectl(
      cp.kubeconfigPath,
      ['apply', '-f', '-'],
      process.env,
      JSON.stringify({
        apiVersion: 'weft.dev/v1alpha1',
        kind: 'TrafficPolicy',
        metadata: { name, namespace: ns },
        spec,
      }),
    );

  for (const c of TRAFFIC_CASES.filter((x) => x.expect.valid)) {
    it(`accepts: ${c.name}`, async () => {
      const r = await apply(c.spec);
      assert.equal(r.code, 0, r.stderr);
    });
  }

  for (const c of TRAFFIC_CASES.filter((x) => !x.expect.valid && x.refusedByCrd)) {
    it(`refuses at admission: ${c.name}`, async () => {
      const r = await apply(c.spec);
      assert.notEqual(r.code, 0, `accepted: ${c.name}`);
      assert.match(
        r.stderr,
        /TrafficPolicy.*is invalid|Invalid value|Unsupported value|unknown field|Required value|must be of type/s,
      );
    });
  }

  it('names the retryOn and abort rules in its admission errors', async () => {
    const retry = await apply({
      targetRefs: [{ group: '', kind: 'Service', name: 'a' }],
      retries: { retryOn: '5xx,sometimes' },
    });
    assert.match(
      retry.stderr,
      /spec\.retries\.retryOn: Invalid value: "string": retryOn takes 5xx/,
    );
    const abort = await apply({
      targetRefs: [{ group: '', kind: 'Service', name: 'a' }],
      fault: { abort: { httpStatus: 503, grpcStatus: 'INTERNAL', percentage: 5 } },
    });
    assert.match(
      abort.stderr,
      /spec\.fault\.abort: Invalid value: "object": set exactly one of httpStatus and grpcStatus/,
    );
    const hash = await apply({
      targetRefs: [{ group: '', kind: 'Service', name: 'a' }],
      loadBalancer: { policy: 'RING_HASH' },
    });
    assert.match(hash.stderr, /RING_HASH needs hashOn/);
  });

  /** Compiles what is stored, computes every policy's status as discovery will, writes it. */
  async function writeStatuses(custom: CustomObjectsApi, names: readonly string[]): Promise<void> {
    const ref = statusRef();
    const objects = await Promise.all(names.map((name) => read(custom, name)));
    const compiled: CompiledTrafficPolicy[] = objects.map((o) =>
      compileTrafficPolicy({
        namespace: ns,
        name: o.metadata?.name ?? '',
        creationTimestamp: String(o.metadata?.creationTimestamp ?? ''),
        generation: o.metadata?.generation,
        spec: o.spec,
      }),
    );
    const now = new Date().toISOString();
    for (const [i, o] of objects.entries()) {
      const conditions = trafficPolicyConditions(compiled[i]!, compiled).map((c) => ({
        ...c,
        lastTransitionTime: now,
      }));
      await custom.replaceNamespacedCustomObjectStatus({
        ...ref,
        name: names[i]!,
        body: { ...o, status: { conditions } },
      });
    }
  }
  const statusRef = () => ({
    group: TRAFFIC_POLICY.group,
    version: TRAFFIC_POLICY.version,
    plural: TRAFFIC_POLICY.plural,
    namespace: ns,
  });
  const read = async (custom: CustomObjectsApi, name: string) =>
    (await custom.getNamespacedCustomObject({ ...statusRef(), name })) as TrafficPolicyResource;
  const condition = async (custom: CustomObjectsApi, name: string, type: string) =>
    (await read(custom, name)).status?.conditions?.find((c) => c.type === type);

  it('stores the status src/traffic computes; the printer columns show it', async () => {
    const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const target = [{ group: '', kind: 'Service', name: 'checkout' }];
    // Admission cannot see that 0s is too short an interval: the status says.
    assert.equal(
      (await apply({ targetRefs: target, outlierDetection: { interval: '0s' } }, 'broken')).code,
      0,
    );
    assert.equal((await apply({ targetRefs: target, retries: { attempts: 1 } }, 'first')).code, 0);
    // creationTimestamp has one-second resolution: make "second" strictly newer.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await apply({ targetRefs: target, retries: { attempts: 4 } }, 'second')).code, 0);
    await writeStatuses(custom, ['broken', 'first', 'second']);

    const printed = await kubectl(cp.kubeconfigPath, [
      'get',
      'tp',
      '-n',
      ns,
      'broken',
      'first',
      'second',
    ]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /NAME\s+TARGETS\s+ACCEPTED\s+REASON\s+AGE/);
    assert.match(printed.stdout, /broken\s+checkout\s+False\s+Invalid/);
    assert.match(printed.stdout, /first\s+checkout\s+True\s+Accepted/);
    assert.match(printed.stdout, /second\s+checkout\s+False\s+Conflicted/);

    const broken = await condition(custom, 'broken', 'Accepted');
    assert.match(
      broken?.message ?? '',
      /^spec\.outlierDetection\.interval: "0s" must be at least 1ms/,
    );
    const second = await condition(custom, 'second', 'Accepted');
    assert.match(
      second?.message ?? '',
      new RegExp(`Service checkout: ${ns}/first applies instead \\(older`),
    );
    const first = await condition(custom, 'first', 'Conflicted');
    assert.equal(first?.status, 'True');
    assert.match(
      first?.message ?? '',
      new RegExp(`this policy applies \\(the oldest\\); ${ns}/second does not`),
    );
  });

  it('has a status subresource that the spec cannot write', async () => {
    const r = await kubectl(cp.kubeconfigPath, [
      'get',
      'crd',
      'trafficpolicies.weft.dev',
      '-o',
      'jsonpath={.spec.versions[0].subresources}',
    ]);
    assert.equal(r.stdout, '{"status":{}}');
  });
});
