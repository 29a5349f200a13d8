// What `kubectl weft routes SVC` shows of TrafficPolicies: those that target the
// Service (read from its namespace, where GEP-713 targetRefs live), which one is
// in force (src/traffic's trafficFor: the oldest valid one) with the settings its
// callers apply, and the status the control plane wrote on each. Reading is the
// edge; trafficView is pure.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { TRAFFIC_POLICY, compileTrafficPolicy, trafficFor } from '../../src/traffic/index.js';
import type { TrafficPolicyObject, TrafficSettings } from '../../src/traffic/index.js';
import { explain } from './errors.js';

interface Item {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; generation?: number };
  spec?: unknown;
  status?: { conditions?: { type?: string; status?: string; reason?: string }[] };
}

export interface StoredPolicy {
  readonly object: TrafficPolicyObject;
  /** `Type=Status/Reason` of each condition the control plane wrote. */
  readonly status: string[];
}

export interface PolicyReport {
  readonly name: string;
  readonly inForce: boolean;
  readonly valid: boolean;
  readonly problems: string[];
  readonly status: string[];
}

export interface TrafficView {
  /** `ns/name` of the policy in force; null: weft's defaults. */
  readonly inForce: string | null;
  /** What callers of the Service apply, one line per part. */
  readonly settings: string[];
  readonly policies: PolicyReport[];
}

/** The TrafficPolicies of a namespace; none (with a note) where the CRD is not installed. */
export async function listTrafficPolicies(
  kc: KubeConfig,
  namespace: string,
  server: string,
): Promise<{ policies: StoredPolicy[]; notes: string[] }> {
  const { group, version, plural } = TRAFFIC_POLICY;
  try {
    const list = (await kc
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({ group, version, plural, namespace })) as { items: Item[] };
    const policies = list.items.map((o) => ({
      object: {
        namespace: o.metadata?.namespace ?? namespace,
        name: o.metadata?.name ?? '',
        creationTimestamp: o.metadata?.creationTimestamp ?? '',
        ...(o.metadata?.generation !== undefined ? { generation: o.metadata.generation } : {}),
        spec: o.spec,
      },
      status: (o.status?.conditions ?? []).map(
        (c) => `${c.type ?? '?'}=${c.status ?? '?'}/${c.reason ?? ''}`,
      ),
    }));
    return { policies, notes: [] };
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) {
      return {
        policies: [],
        notes: [`${plural}.${group} is not installed: weft's defaults apply`],
      };
    }
    throw explain(err, `list ${plural}`, server);
  }
}

function describe(s: TrafficSettings): string[] {
  const p = s.connectionPool;
  const r = s.retries;
  const b = s.retryBudget;
  const limit = (n: number): string => (n >= 4_294_967_295 ? 'unlimited' : String(n));
  const od = s.outlierDetection;
  return [
    `loadBalancer: ${s.loadBalancer?.policy ?? "the Service's own"}`,
    `connectionPool: maxConnections ${limit(p.maxConnections)}, http1MaxPendingRequests ${limit(p.http1MaxPendingRequests)}, http2MaxRequests ${limit(p.http2MaxRequests)}`,
    od
      ? `outlierDetection: consecutive5xxErrors ${od.consecutive5xxErrors}, interval ${od.intervalMs}ms, baseEjectionTime ${od.baseEjectionTimeMs}ms, maxEjectionPercent ${od.maxEjectionPercent}`
      : 'outlierDetection: off',
    s.fault
      ? 'retries: none (the fault disables retries and timeouts)'
      : `retries (where the route sets none): ${r.attempts} on ${[...r.retryOn.conditions].join(',')}${r.retryOn.statusCodes.length ? ` ${r.retryOn.statusCodes.join(',')}` : ''}${r.perTryTimeoutMs ? `, perTryTimeout ${r.perTryTimeoutMs}ms` : ''}`,
    `retryBudget: ${b.ratio * 100}% of requests + ${b.minRetriesPerSecond}/s over ${b.ttlMs}ms`,
    ...(s.fault?.delay
      ? [`fault delay: ${s.fault.delay.ms}ms to ${s.fault.delay.percentage}%`]
      : []),
    ...(s.fault?.abort
      ? [
          `fault abort: ${'httpStatus' in s.fault.abort ? `HTTP ${s.fault.abort.httpStatus}` : `gRPC ${s.fault.abort.grpcStatus}`} to ${s.fault.abort.percentage}%`,
        ]
      : []),
  ];
}

export function trafficView(
  svc: { readonly namespace: string; readonly name: string },
  stored: readonly StoredPolicy[],
): TrafficView {
  const compiled = stored.map((s) => compileTrafficPolicy(s.object));
  const t = trafficFor(compiled, svc);
  const policies = compiled.flatMap((c, i) =>
    c.namespace === svc.namespace && c.targets.includes(svc.name)
      ? [
          {
            name: `${c.namespace}/${c.name}`,
            inForce: t.policy === `${c.namespace}/${c.name}`,
            valid: c.valid,
            problems: c.problems.map((p) => `${p.field}: ${p.reason}`),
            status: stored[i]!.status,
          },
        ]
      : [],
  );
  return { inForce: t.policy ?? null, settings: describe(t.settings), policies };
}

export function renderTraffic(svc: string, v: TrafficView): string {
  const head = v.inForce
    ? `TrafficPolicy in force on ${svc}: ${v.inForce}`
    : `No TrafficPolicy in force on ${svc}: weft's defaults (Istio's)`;
  const lines = [
    head,
    ...v.settings.map((s) => `  ${s}`),
    ...v.policies.flatMap((p) => [
      `${p.name}: ${p.inForce ? 'in force' : p.valid ? 'not in force (an older policy wins)' : 'invalid: applies nowhere'}; status ${p.status.join(', ') || 'none written'}`,
      ...p.problems.map((x) => `  problem: ${x}`),
    ]),
  ];
  return lines.join('\n') + '\n';
}
