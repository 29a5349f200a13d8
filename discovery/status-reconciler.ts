// Recomputing the status of every object of a kind, for the kinds whose status
// depends on the world and on each other (a TrafficPolicy on the other policies and
// the Services, a route on the Services and ReferenceGrants): after each (debounced)
// rebuild every object is decided again and StatusWriter writes what differs.
// AuthorizationPolicy status depends on its object alone, so it is written per event
// instead (authz-status.ts) and does not use this.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { Logger } from '../src/log.js';
import type { NextStatus, StatusKind } from './status-writer.js';
import { StatusWriter } from './status-writer.js';

/** One pass's view: the objects as cached, and their status against one world. */
export interface StatusPass<O> {
  readonly objects: readonly O[];
  next(o: O): NextStatus;
}

export interface StatusPassOptions {
  /**
   * Failed writes are tried again on a timer after this long; absent, only at the
   * next rebuild. Routes retry: nothing else may change for a while after a failure.
   */
  readonly retryMs?: number;
  /**
   * Skip an object whose cached resourceVersion is the one this replica just wrote
   * over: the cache is stale, and a write would only meet a 409. Routes only, so far.
   */
  readonly skipWrittenOver?: boolean;
}

/** A kind's status writer: the kind supplies snapshot(), the objects and the world of now. */
export abstract class StatusReconciler<O> {
  /** Object key → the resourceVersion this replica wrote over: the cache's copy is stale. */
  private readonly superseded = new Map<string, string>();
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly writer: StatusWriter<O>;

  constructor(
    api: CustomObjectsApi,
    private readonly kind: StatusKind<O>,
    private readonly log: Logger,
    private readonly options: StatusPassOptions = {},
  ) {
    this.writer = new StatusWriter(api, kind, log);
  }

  /** Takes the objects and the world as they are now, once per pass. */
  protected abstract snapshot(): StatusPass<O>;

  /**
   * Recomputes every object's status and writes what differs; one pass at a time, and
   * a call during a pass runs one more after it. Resolves when no pass is left.
   */
  reconcile(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const failed = await this.pass().catch((err: unknown) => {
        this.log.error(`${this.kind.noun} status pass failed`, { err });
        return true;
      });
      if (failed && this.options.retryMs !== undefined && !this.retry && !this.stopped) {
        // Nothing else may change for a while: try the failed writes again on a timer.
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.reconcile();
        }, this.options.retryMs).unref();
      }
    }
  }

  /** True when some write failed. */
  private async pass(): Promise<boolean> {
    const view = this.snapshot();
    const next = (o: O): NextStatus => view.next(o);
    let failed = false;
    const live = new Set<string>();
    for (const o of view.objects) {
      if (this.stopped) return failed;
      const key = this.kind.key(o);
      live.add(key);
      if (this.options.skipWrittenOver) {
        if (this.superseded.get(key) === this.kind.target(o).resourceVersion) continue;
        this.superseded.delete(key);
      }
      const outcome = await this.writer.write(o, next);
      if (outcome === 'failed') failed = true;
      else if (typeof outcome === 'object' && this.options.skipWrittenOver) {
        this.superseded.set(key, outcome.written ?? '');
      }
    }
    for (const key of this.superseded.keys()) if (!live.has(key)) this.superseded.delete(key);
    return failed;
  }
}
