// What `kubectl weft routes` and `route-check` read from the cluster: the Service
// (its ports), and the HTTPRoutes and GRPCRoutes that may attach to it with the
// status the control plane wrote on them. The routes are handed on as the
// RouteObjects the sidecar compiles (src/routes), nothing else.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { z } from 'zod';
import { GRPC_ROUTE, HTTP_ROUTE } from '../../src/routes/index.js';
import type { RouteKind, RouteObject } from '../../src/routes/index.js';
import { PluginError, PluginExit, explain } from './errors.js';
import { ApiException } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly { readonly port: number; readonly name?: string }[];
}

/** One RouteParentStatus as the control plane wrote it (kept loose: any controller's). */
export const WrittenParentStatus = z.object({
  parentRef: z.object({
    group: z.string().optional(),
    kind: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string(),
    port: z.number().optional(),
  }),
  controllerName: z.string(),
  conditions: z
    .array(
      z.object({
        type: z.string(),
        status: z.string(),
        reason: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .default([]),
});
export type WrittenParentStatus = z.infer<typeof WrittenParentStatus>;
const WrittenStatus = z.object({ parents: z.array(WrittenParentStatus).default([]) });

export interface StoredRoute {
  readonly object: RouteObject;
  readonly status: readonly WrittenParentStatus[];
}

interface Item {
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string;
    generation?: number;
  };
  spec?: unknown;
  status?: unknown;
}

export async function readService(
  kc: KubeConfig,
  namespace: string,
  name: string,
  server: string,
): Promise<ServiceInfo> {
  try {
    const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace, name });
    const ports = (svc.spec?.ports ?? []).map((p) => ({
      port: p.port,
      ...(p.name ? { name: p.name } : {}),
    }));
    return { namespace, name, ports };
  } catch (err) {
    throw explain(err, `read service ${namespace}/${name}`, server);
  }
}

function toStored(kind: RouteKind, o: Item): StoredRoute {
  const m = o.metadata ?? {};
  const status = WrittenStatus.safeParse(o.status ?? {});
  return {
    object: {
      kind,
      namespace: m.namespace ?? '',
      name: m.name ?? '',
      creationTimestamp: m.creationTimestamp ?? '',
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      spec: o.spec,
    },
    status: status.success ? status.data.parents : [],
  };
}

const notInstalled = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

async function listKind(
  custom: CustomObjectsApi,
  kind: RouteKind,
  namespaces: readonly string[] | 'all',
): Promise<StoredRoute[]> {
  const { group, version, plural } = kind === 'HTTPRoute' ? HTTP_ROUTE : GRPC_ROUTE;
  const lists =
    namespaces === 'all'
      ? [custom.listClusterCustomObject({ group, version, plural })]
      : namespaces.map((namespace) =>
          custom.listNamespacedCustomObject({ group, version, plural, namespace }),
        );
  const got = (await Promise.all(lists)) as { items: Item[] }[];
  return got.flatMap((l) => l.items.map((o) => toStored(kind, o)));
}

export interface Listed {
  readonly routes: StoredRoute[];
  /** What the reader should know about what was not read. */
  readonly notes: string[];
}

/**
 * The HTTPRoutes and GRPCRoutes of `namespaces` ('all': the whole cluster, as a
 * consumer route may live anywhere). A kind whose CRD is not installed has no
 * routes, and says so; a cluster-wide list RBAC refuses falls back to
 * `fallback` (the Service's namespace), and says so.
 */
export async function listRoutes(
  kc: KubeConfig,
  namespaces: readonly string[] | 'all',
  server: string,
  fallback?: readonly string[],
): Promise<Listed> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const notes: string[] = [];
  const routes: StoredRoute[] = [];
  for (const kind of ['HTTPRoute', 'GRPCRoute'] as const) {
    const plural = kind === 'HTTPRoute' ? HTTP_ROUTE.plural : GRPC_ROUTE.plural;
    try {
      routes.push(...(await listKind(custom, kind, namespaces)));
    } catch (err) {
      if (notInstalled(err)) {
        notes.push(`${plural}.${HTTP_ROUTE.group} is not installed: no ${kind} can exist`);
        continue;
      }
      const e = explain(err, `list ${plural}`, server);
      if (e.exitCode !== PluginExit.Forbidden || namespaces !== 'all' || !fallback) throw e;
      notes.push(
        `cannot list ${plural} in all namespaces (${e.message}): consumer routes in other namespaces are not shown`,
      );
      routes.push(...(await listKind(custom, kind, fallback).catch(rethrow(plural, server))));
    }
  }
  return { routes, notes };
}

const rethrow =
  (plural: string, server: string) =>
  (err: unknown): never => {
    throw explain(err, `list ${plural}`, server);
  };

/** The caller pod of `route-check --from NS/POD`: it must exist; a pod without a sidecar is noted. */
export async function callerPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
  server: string,
): Promise<string | undefined> {
  const pod = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedPod({ namespace, name })
    .catch((err: unknown) => {
      throw explain(err, `read pod ${namespace}/${name}`, server);
    });
  if (pod.metadata?.annotations?.['weft.dev/status'] !== undefined) return undefined;
  return `pod ${namespace}/${name} has no weft sidecar: its requests are not routed by weft (this is what a meshed pod in ${namespace} would get)`;
}

export function requirePort(svc: ServiceInfo, port: number): void {
  if (svc.ports.some((p) => p.port === port)) return;
  const known = svc.ports.map((p) => p.port).join(', ') || 'none';
  throw new PluginError(
    `service ${svc.namespace}/${svc.name} has no port ${port} (ports: ${known})`,
    PluginExit.NotFound,
  );
}
