// AuthorizationPolicies → each sidecar's `authz/<ns>/<name>` resources. Pure:
// discovery compiles every policy once per rebuild (the same compilePolicy and
// selectPolicies the sidecar and `kubectl weft authz` use) and gives each pod
// exactly the policies that select it, so a policy change reaches only the
// sidecars it concerns. Resources are built once per policy and shared by every
// pod it selects: one serialisation, one version hash.
import type { V1Pod } from '@kubernetes/client-node';
import type { CompiledPolicy, PolicyObject } from '../authz/index.js';
import { compilePolicy, selectPolicies } from '../authz/index.js';
import { policyKey } from './authz-policies.js';
import type { Resource } from './view.js';
import { authzKey, withVersion } from './view.js';

export interface AuthzCatalog {
  readonly policies: readonly CompiledPolicy[];
  /** By `ns/name`: the resource streamed for that policy. */
  readonly resources: ReadonlyMap<string, Resource>;
}

export function buildAuthzCatalog(objects: Iterable<PolicyObject>): AuthzCatalog {
  const policies: CompiledPolicy[] = [];
  const resources = new Map<string, Resource>();
  for (const o of objects) {
    const compiled = compilePolicy(o);
    policies.push(compiled);
    const { namespace, name } = o;
    resources.set(
      policyKey(o),
      withVersion({
        kind: 'authz',
        name: authzKey(namespace, name),
        policy: { namespace, name, spec: o.spec ?? {}, dryRun: compiled.dryRun },
      }),
    );
  }
  return { policies, resources };
}

/** The resources for the policies that select `pod` (its namespace, labels, the root namespace). */
export function authzResourcesFor(
  catalog: AuthzCatalog,
  pod: V1Pod,
  rootNamespace: string,
): Map<string, Resource> {
  const workload = {
    namespace: pod.metadata?.namespace ?? '',
    labels: pod.metadata?.labels ?? {},
  };
  const out = new Map<string, Resource>();
  for (const p of selectPolicies(catalog.policies, workload, rootNamespace)) {
    const r = catalog.resources.get(policyKey(p));
    if (r) out.set(r.name, r);
  }
  return out;
}
