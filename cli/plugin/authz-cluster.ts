// What `kubectl weft authz` reads from the cluster: the AuthorizationPolicies that
// can apply in a namespace (its own and the root namespace's, compiled exactly as
// the sidecars compile them) and the pods behind a Service (EndpointSlices →
// pods → labels), so that check evaluates what the destination sidecars would.
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Pod, V1Service } from '@kubernetes/client-node';
import type { CompiledPolicy } from '../../src/authz/index.js';
import { AUTHORIZATION_POLICY, compilePolicy } from '../../src/authz/index.js';
import { WEFT_NAMESPACE } from '../../src/names.js';
import { PluginError, PluginExit, explain } from './errors.js';

interface PolicyItem {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: unknown;
}

/** The compiled policies of `namespace` and of the root namespace (discovery's --root-namespace). */
export async function policiesFor(
  kc: KubeConfig,
  namespace: string,
  server: string,
  root: string = WEFT_NAMESPACE,
): Promise<CompiledPolicy[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = AUTHORIZATION_POLICY;
  const namespaces = [...new Set([namespace, root])];
  try {
    const lists = await Promise.all(
      namespaces.map(
        (ns) =>
          custom.listNamespacedCustomObject({ group, version, plural, namespace: ns }) as Promise<{
            items: PolicyItem[];
          }>,
      ),
    );
    return lists.flatMap((l) =>
      l.items.map((o) =>
        compilePolicy({
          namespace: o.metadata?.namespace ?? '',
          name: o.metadata?.name ?? '',
          spec: o.spec,
          annotations: o.metadata?.annotations ?? {},
        }),
      ),
    );
  } catch (err) {
    throw explain(err, 'list authorizationpolicies.weft.dev', server);
  }
}

/** A destination pod as check needs it: name, labels, IP and the port the sidecar sees. */
export interface Destination {
  readonly pod: string;
  readonly labels: Record<string, string>;
  readonly ip: string;
  readonly port: number;
}

function servicePort(svc: V1Service, port: number | undefined, to: string) {
  const ports = svc.spec?.ports ?? [];
  const p = port === undefined ? ports[0] : ports.find((x) => x.port === port);
  if (!p) {
    const known = ports.map((x) => x.port).join(', ') || 'none';
    throw new PluginError(
      `${to}: the Service has no port ${port ?? ''} (ports: ${known})`,
      PluginExit.NotFound,
    );
  }
  return p;
}

/** The pods behind `svc.ns[:port]`, each with the target port its sidecar sees. */
export async function destinations(
  kc: KubeConfig,
  to: { service: string; namespace: string; port?: number },
  server: string,
): Promise<Destination[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const disco = kc.makeApiClient(DiscoveryV1Api);
  const label = `${to.service}.${to.namespace}`;
  try {
    const svc = await core.readNamespacedService({ name: to.service, namespace: to.namespace });
    const sp = servicePort(svc, to.port, label);
    const slices = await disco.listNamespacedEndpointSlice({
      namespace: to.namespace,
      labelSelector: `kubernetes.io/service-name=${to.service}`,
    });
    const found = slices.items.flatMap((slice) => {
      const port = slice.ports?.find((p) => (p.name ?? '') === (sp.name ?? ''))?.port;
      return slice.endpoints.flatMap((e) =>
        e.targetRef?.kind === 'Pod' && e.targetRef.name && port !== undefined
          ? [{ pod: e.targetRef.name, ip: e.addresses[0] ?? '', port }]
          : [],
      );
    });
    return await Promise.all(
      found.map(async (d) => {
        const pod: V1Pod = await core.readNamespacedPod({ name: d.pod, namespace: to.namespace });
        return { ...d, labels: pod.metadata?.labels ?? {} };
      }),
    );
  } catch (err) {
    throw explain(err, `resolve ${label}`, server);
  }
}

export async function readPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
  server: string,
): Promise<V1Pod> {
  try {
    return await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace });
  } catch (err) {
    throw explain(err, `read pod ${namespace}/${name}`, server);
  }
}
