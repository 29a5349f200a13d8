// Keeps a `weft-trust-bundle` ConfigMap in every namespace holding every root the
// mesh trusts, as namespaces appear and as roots rotate.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../src/k8s/client.js';
import { watchNamespaces } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';

import { TRUST_BUNDLE_CONFIGMAP as TRUST_BUNDLE_NAME, TRUST_BUNDLE_KEY } from '../src/names.js';

export class TrustBundles {
  private readonly namespaces = new Set<string>();
  private watch: Watch | undefined;

  private readonly core: CoreV1Api;

  constructor(
    private readonly kc: KubeConfig,
    private roots: string,
    private readonly log: Logger,
    private readonly resyncMs = 300_000,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async start(): Promise<void> {
    this.watch = await watchNamespaces({
      kc: this.kc,
      // A new namespace gets its bundle; the periodic resync repairs one that
      // was edited or deleted by hand (ensure() writes only when it differs).
      onObject: (ns) => {
        const name = ns.metadata?.name;
        if (!name || ns.status?.phase === 'Terminating') return;
        this.namespaces.add(name);
        void this.ensure(name);
      },
      onDelete: (ns) => {
        if (ns.metadata?.name) this.namespaces.delete(ns.metadata.name);
      },
      resyncMs: this.resyncMs,
      log: this.log,
    });
  }

  /** New roots: rewrite every bundle. */
  async setRoots(roots: string): Promise<void> {
    if (roots === this.roots) return;
    this.roots = roots;
    await Promise.all([...this.namespaces].map((ns) => this.ensure(ns)));
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  async ensure(namespace: string): Promise<void> {
    const body: V1ConfigMap = {
      metadata: {
        name: TRUST_BUNDLE_NAME,
        namespace,
        labels: { 'app.kubernetes.io/part-of': 'weft', 'weft.dev/trust-bundle': 'true' },
      },
      data: { [TRUST_BUNDLE_KEY]: this.roots },
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.write(namespace, body);
        return;
      } catch (err) {
        if (!isConflict(err)) {
          this.log.warn('could not write trust bundle', { namespace, err });
          return;
        }
      }
    }
  }

  private async write(namespace: string, body: V1ConfigMap): Promise<void> {
    let current: V1ConfigMap | undefined;
    try {
      current = await this.core.readNamespacedConfigMap({ name: TRUST_BUNDLE_NAME, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      await this.core.createNamespacedConfigMap({ namespace, body });
      this.log.info('created trust bundle', { namespace });
    } else if (current.data?.[TRUST_BUNDLE_KEY] !== this.roots) {
      body.metadata!.resourceVersion = current.metadata?.resourceVersion;
      await this.core.replaceNamespacedConfigMap({ name: TRUST_BUNDLE_NAME, namespace, body });
      this.log.info('updated trust bundle', { namespace });
    }
  }
}
