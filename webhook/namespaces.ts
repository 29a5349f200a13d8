// Namespace labels for the selection rules: a watch-fed cache, with a direct read
// for a namespace the watch has not delivered yet. A lookup that cannot reach the
// API server is `unavailable` (HTTP 503), so the webhook's failurePolicy decides.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiFailure, isNotFound } from '../src/k8s/client.js';
import { watchNamespaces } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';
import type { NamespaceInfo } from './selection.js';

export class NamespaceLabels {
  private readonly labels = new Map<string, Record<string, string>>();
  private watch: Watch | undefined;
  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    this.watch = await watchNamespaces({
      kc: this.kc,
      onObject: (ns) => {
        if (ns.metadata?.name) this.labels.set(ns.metadata.name, { ...ns.metadata.labels });
      },
      log: this.log,
    });
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  async get(name: string): Promise<NamespaceInfo> {
    const cached = this.labels.get(name);
    if (cached) return { name, labels: cached };
    try {
      const ns = await this.core.readNamespace({ name });
      const labels = { ...ns.metadata?.labels };
      this.labels.set(name, labels);
      return { name, labels };
    } catch (err) {
      if (isNotFound(err)) return { name, labels: {} };
      throw apiFailure(`reading namespace ${name}`, err);
    }
  }
}
