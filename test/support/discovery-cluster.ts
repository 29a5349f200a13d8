// Kubernetes objects the discovery tests need, made the way the controllers a
// real cluster runs would make them: pods with a status (IP, phase) as the
// kubelet writes it, and EndpointSlices as the EndpointSlice controller writes
// them (this control plane runs neither).
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1EndpointSlice, V1Pod } from '@kubernetes/client-node';

export interface PodSpec {
  readonly name: string;
  readonly serviceAccount: string;
  readonly ip: string;
  readonly labels?: Record<string, string>;
  readonly meshed?: boolean;
}

export interface SliceEndpoint {
  readonly pod?: string;
  readonly ip: string;
  readonly ready?: boolean;
  readonly serving?: boolean;
}

export class TestCluster {
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async serviceAccount(name: string): Promise<void> {
    await this.core.createNamespacedServiceAccount({
      namespace: this.namespace,
      body: { metadata: { name } },
    });
  }

  /** A running pod at `ip`; meshed pods carry weft's status annotation as the injector writes it. */
  async pod(p: PodSpec): Promise<V1Pod> {
    const namespace = this.namespace;
    const created = await this.core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: p.name,
          labels: p.labels ?? {},
          annotations: p.meshed === false ? {} : { 'weft.dev/status': '{"version":"test"}' },
        },
        spec: { serviceAccountName: p.serviceAccount, containers: [{ name: 'app', image: 'app' }] },
      },
    });
    created.status = {
      phase: 'Running',
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
    };
    return this.core.replaceNamespacedPodStatus({ namespace, name: p.name, body: created });
  }

  async deletePod(name: string): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace: this.namespace, name, gracePeriodSeconds: 0 });
  }

  async service(name: string, spec: Record<string, unknown>): Promise<void> {
    await this.core.createNamespacedService({
      namespace: this.namespace,
      body: { metadata: { name }, spec },
    });
  }

  async deleteService(name: string): Promise<void> {
    await this.core.deleteNamespacedService({ namespace: this.namespace, name });
  }

  /** Creates or replaces the one EndpointSlice of `service`. */
  async slice(
    service: string,
    endpoints: SliceEndpoint[],
    ports = [{ name: 'http', port: 8080 }],
  ): Promise<void> {
    const namespace = this.namespace;
    const body: V1EndpointSlice = {
      metadata: { name: `${service}-abc12`, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
      endpoints: endpoints.map((e) => ({
        addresses: [e.ip],
        conditions: {
          ready: e.ready ?? true,
          serving: e.serving ?? e.ready ?? true,
          terminating: false,
        },
        ...(e.pod ? { targetRef: { kind: 'Pod', namespace, name: e.pod } } : {}),
      })),
    };
    const name = body.metadata!.name!;
    const existing = await this.discovery
      .readNamespacedEndpointSlice({ namespace, name })
      .catch(() => undefined);
    if (!existing) {
      await this.discovery.createNamespacedEndpointSlice({ namespace, body });
      return;
    }
    body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
    await this.discovery.replaceNamespacedEndpointSlice({ namespace, name, body });
  }

  async peerAuthentication(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<void> {
    const group = 'weft.dev';
    const version = 'v1alpha1';
    const plural = 'peerauthentications';
    const body = {
      apiVersion: `${group}/${version}`,
      kind: 'PeerAuthentication',
      metadata: { name, namespace },
      spec,
    };
    const existing = (await this.custom
      .getNamespacedCustomObject({ group, version, plural, namespace, name })
      .catch(() => undefined)) as { metadata?: { resourceVersion?: string } } | undefined;
    if (!existing) {
      await this.custom.createNamespacedCustomObject({ group, version, plural, namespace, body });
      return;
    }
    const withVersion = {
      ...body,
      metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
    };
    await this.custom.replaceNamespacedCustomObject({
      group,
      version,
      plural,
      namespace,
      name,
      body: withVersion,
    });
  }

  async deletePeerAuthentication(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: 'weft.dev',
      version: 'v1alpha1',
      plural: 'peerauthentications',
      namespace,
      name,
    });
  }
}
