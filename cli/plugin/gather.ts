// Reads what the audit needs from the cluster into an Inventory: namespaces and
// their labels, pods, trust bundles, issuance records, and the mesh's roots.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { INJECT, podFacts } from '../../src/audit/pod-facts.js';
import type { IdentityRecord, Inventory, NamespaceFacts } from '../../src/audit/model.js';
import { apiStatus } from '../../src/k8s/client.js';
import {
  CA_SECRET_NAME,
  DEFAULT_TRUST_DOMAIN,
  TRUST_BUNDLE_CONFIGMAP,
  TRUST_BUNDLE_KEY,
  WEFT_NAMESPACE,
} from '../../src/names.js';
import { PluginError, PluginExit, explain } from './errors.js';
import type { GlobalOptions } from './options.js';

const live = (p: V1Pod): boolean =>
  !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata?.deletionTimestamp;

interface RawRecord {
  metadata?: { namespace?: string; name?: string };
  spec?: { serviceAccount?: string; spiffeId?: string };
  status?: { certificates?: IdentityRecord['certificates']; issuerChain?: string };
}

async function records(g: GlobalOptions): Promise<IdentityRecord[]> {
  const api = g.kc.makeApiClient(CustomObjectsApi);
  const ref = { group: 'weft.dev', version: 'v1alpha1', plural: 'workloadidentities' };
  let list: { items?: RawRecord[] };
  try {
    list = (
      g.namespace
        ? await api.listNamespacedCustomObject({ ...ref, namespace: g.namespace })
        : await api.listClusterCustomObject(ref)
    ) as { items?: RawRecord[] };
  } catch (err) {
    if (apiStatus(err) === 404) return []; // CRD not installed: `kubectl weft check` says so
    throw err;
  }
  return (list.items ?? []).map((r) => ({
    namespace: r.metadata?.namespace ?? '',
    serviceAccount: r.spec?.serviceAccount ?? r.metadata?.name ?? '',
    spiffeId: r.spec?.spiffeId ?? '',
    certificates: r.status?.certificates ?? [],
    ...(r.status?.issuerChain ? { issuerChain: r.status.issuerChain } : {}),
  }));
}

/** The CA's roots: its Secret if readable (public parts only), else weft-system's bundle. */
export async function meshRoots(core: CoreV1Api): Promise<string | undefined> {
  try {
    const s = await core.readNamespacedSecret({ namespace: WEFT_NAMESPACE, name: CA_SECRET_NAME });
    const roots = s.data?.[TRUST_BUNDLE_KEY];
    if (roots) return Buffer.from(roots, 'base64').toString('utf8');
  } catch {
    // forbidden or absent: fall back to the published bundle
  }
  try {
    const cm = await core.readNamespacedConfigMap({
      namespace: WEFT_NAMESPACE,
      name: TRUST_BUNDLE_CONFIGMAP,
    });
    return cm.data?.[TRUST_BUNDLE_KEY];
  } catch {
    return undefined;
  }
}

async function namespaces(core: CoreV1Api, g: GlobalOptions): Promise<V1Namespace[]> {
  if (g.namespace) return [await core.readNamespace({ name: g.namespace })];
  return (await core.listNamespace()).items;
}

export async function gather(g: GlobalOptions): Promise<Inventory> {
  const core = g.kc.makeApiClient(CoreV1Api);
  try {
    const [nsList, pods, bundles, recs, roots] = await Promise.all([
      namespaces(core, g),
      g.namespace
        ? core.listNamespacedPod({ namespace: g.namespace })
        : core.listPodForAllNamespaces(),
      g.namespace
        ? core.listNamespacedConfigMap({
            namespace: g.namespace,
            fieldSelector: `metadata.name=${TRUST_BUNDLE_CONFIGMAP}`,
          })
        : core.listConfigMapForAllNamespaces({
            fieldSelector: `metadata.name=${TRUST_BUNDLE_CONFIGMAP}`,
          }),
      records(g),
      meshRoots(core),
    ]);
    const bundleOf = new Map(
      bundles.items.map((c) => [c.metadata?.namespace ?? '', c.data?.[TRUST_BUNDLE_KEY] ?? '']),
    );
    const nsFacts: NamespaceFacts[] = nsList.map((n) => {
      const name = n.metadata?.name ?? '';
      const bundle = bundleOf.get(name);
      return {
        name,
        injectionEnabled: n.metadata?.labels?.[INJECT] === 'enabled',
        ...(bundle !== undefined ? { bundle } : {}),
      };
    });
    const trustDomain =
      /^spiffe:\/\/([^/]+)\//.exec(recs[0]?.spiffeId ?? '')?.[1] ?? DEFAULT_TRUST_DOMAIN;
    return {
      trustDomain,
      namespaces: nsFacts,
      pods: pods.items.filter(live).map(podFacts),
      records: recs,
      ...(roots ? { roots } : {}),
    };
  } catch (err) {
    throw explain(err, 'reading the cluster', g.server);
  }
}

/** Throws when a namespace was asked about and weft has nothing there. */
export function requireWeft(inv: Inventory, namespace: string | undefined): void {
  if (!namespace) return;
  const enabled = inv.namespaces.some((n) => n.name === namespace && n.injectionEnabled);
  if (enabled || inv.pods.some((p) => p.injected) || inv.records.length > 0) return;
  throw new PluginError(
    `namespace ${namespace} has no weft: not labelled weft.dev/inject=enabled, no injected pods, no issued certificates`,
    PluginExit.NoWeft,
  );
}
