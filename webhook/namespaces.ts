// Namespace labels and annotations for the selection rules and the capture policy:
// a watch-fed cache, with a direct read for a namespace the watch has not delivered
// yet. A lookup that cannot reach the API server is `unavailable` (HTTP 503), so the
// webhook's failurePolicy decides.
//
// The webhook does not authenticate its callers, so anyone who reaches it can name
// namespaces that do not exist. The API server never sends such a review (its
// NamespaceLifecycle plugin refuses first), so "not found" is remembered briefly, in
// a bounded map, and concurrent lookups of one name share one GET: a flood of
// reviews for unknown namespaces costs the API server one GET per name per TTL.
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node';
import { apiFailure, isNotFound } from '../src/k8s/client.js';
import { watchNamespaces } from '../src/k8s/watch.js';
import type { Watch } from '../src/k8s/watch.js';
import type { Logger } from '../src/log.js';
import type { NamespaceInfo } from './selection.js';

export interface NamespaceCacheOptions {
  /** How long "not found" is believed; default 10 s (a new namespace waits at most this). */
  readonly negativeTtlMs?: number;
  /** Names remembered as missing; past it, the oldest is forgotten. Default 1024. */
  readonly maxNegative?: number;
  readonly now?: () => number;
  /** The direct read; defaults to CoreV1Api.readNamespace (tests count calls). */
  readonly read?: (name: string) => Promise<V1Namespace>;
}

const info = (name: string, ns: V1Namespace | undefined): NamespaceInfo => ({
  name,
  labels: { ...ns?.metadata?.labels },
  annotations: { ...ns?.metadata?.annotations },
});

export class NamespaceLabels {
  private readonly known = new Map<string, NamespaceInfo>();
  /** name → when "not found" stops being believed. Insertion order is age order. */
  private readonly missing = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<NamespaceInfo>>();
  private watch: Watch | undefined;
  private readonly read: (name: string) => Promise<V1Namespace>;
  private readonly ttlMs: number;
  private readonly maxNegative: number;
  private readonly now: () => number;

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
    opts: NamespaceCacheOptions = {},
  ) {
    this.read = opts.read ?? this.apiRead(kc);
    this.ttlMs = opts.negativeTtlMs ?? 10_000;
    this.maxNegative = opts.maxNegative ?? 1024;
    this.now = opts.now ?? Date.now;
  }

  private apiRead(kc: KubeConfig): (name: string) => Promise<V1Namespace> {
    const core = kc.makeApiClient(CoreV1Api);
    return (name) => core.readNamespace({ name });
  }

  async start(): Promise<void> {
    this.watch = await watchNamespaces({
      kc: this.kc,
      onObject: (ns) => this.remember(ns),
      log: this.log,
    });
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }

  /** What the watch (or a direct read) delivered; a namespace that appears is no longer missing. */
  remember(ns: V1Namespace): void {
    const name = ns.metadata?.name;
    if (!name) return;
    this.known.set(name, info(name, ns));
    this.missing.delete(name);
  }

  get(name: string): Promise<NamespaceInfo> {
    const cached = this.known.get(name);
    if (cached) return Promise.resolve(cached);
    const until = this.missing.get(name);
    if (until !== undefined && this.now() < until) return Promise.resolve(info(name, undefined));
    const pending = this.inFlight.get(name);
    if (pending) return pending;
    const lookup = this.lookup(name).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, lookup);
    return lookup;
  }

  private async lookup(name: string): Promise<NamespaceInfo> {
    try {
      const ns = await this.read(name);
      this.remember(ns);
      return info(name, ns);
    } catch (err) {
      if (!isNotFound(err)) throw apiFailure(`reading namespace ${name}`, err);
      this.forget(name);
      return info(name, undefined);
    }
  }

  private forget(name: string): void {
    this.missing.delete(name);
    if (this.missing.size >= this.maxNegative) {
      const oldest = this.missing.keys().next();
      if (!oldest.done) this.missing.delete(oldest.value);
    }
    this.missing.set(name, this.now() + this.ttlMs);
  }
}
