// Writing one object's status subresource: the mechanism every status discovery
// writes shares (TrafficPolicy, HTTPRoute/GRPCRoute, AuthorizationPolicy); each kind
// supplies only what its status says (StatusKind) and, per write, the status it
// wants now (NextStatus, merged with what is stored).
//
// Every replica writes, so a write must not fight: nothing is written when the
// stored status already says this (transition times aside), and a write is a
// compare-and-swap, a PUT carrying the resourceVersion the status was computed from.
// A 404 means the object was deleted meanwhile: nothing to say. A 409 means someone
// wrote first: a kind either re-reads and decides again (routes, whose status.parents
// other controllers share and which nothing else may bring soon), or leaves it to
// the next event, which brings the newer object (policies).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { limitLogger } from '../src/log-limit.js';

/** Where an object's status lives, and the version a write compares against. */
export interface StatusTarget {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Absent: the PUT is unconditional (the API server takes it as "any version"). */
  readonly resourceVersion: string | undefined;
}

/** What a kind wants stored on one object now. */
export interface NextStatus {
  /** False when the stored status already says this (transition times aside): no write. */
  readonly changed: boolean;
  /** The whole status to PUT: the kind keeps whatever stored fields it means to keep. */
  readonly status: Readonly<Record<string, unknown>>;
  /** Logged, rate-limited per object, once the write went through: it is not in force. */
  readonly warning?: { readonly msg: string; readonly fields: Record<string, unknown> };
}

/** What differs between the kinds, apart from the status itself. */
export interface StatusKind<O> {
  /** Names the kind in log lines: "<noun> status not written". */
  readonly noun: string;
  /** The log field naming the object ("policy", "route"). */
  readonly field: string;
  /** The object's name in logs, and its rate limiter's key. */
  key(o: O): string;
  target(o: O): StatusTarget;
  /** On a 409, turn the object read back into O and decide again; absent: leave it. */
  readonly reread?: (stored: unknown, was: O) => O;
  /**
   * Every failure (404 and 409 too) at debug: for a kind driven by an informer's
   * events and resyncs, which bring each object again anyway (AuthorizationPolicy).
   */
  readonly quiet?: boolean;
}

export type WriteOutcome =
  /** Written over this resourceVersion (the stored one, or the one re-read). */
  | { readonly written: string | undefined }
  | 'unchanged'
  | 'gone'
  /** Someone else wrote first, and the kind leaves it to the next event. */
  | 'conflict'
  /** Not written; the caller may try again later. */
  | 'failed';

/** A 409 re-reads at most this often before the write counts as failed. */
const ATTEMPTS = 3;

export class StatusWriter<O> {
  private readonly limited: LimitedLogger;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly kind: StatusKind<O>,
    private readonly log: Logger,
  ) {
    this.limited = limitLogger(log);
  }

  /** Writes `next(o)` if it changed anything; `next` is asked again after a re-read. */
  async write(o: O, next: (o: O) => NextStatus): Promise<WriteOutcome> {
    let current = o;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const want = next(current);
      if (!want.changed) return 'unchanged';
      const target = this.kind.target(current);
      try {
        await this.put(target, want.status);
      } catch (err) {
        const outcome = this.failed(current, err);
        if (outcome !== 'conflict' || !this.kind.reread) return outcome;
        const fresh = await this.read(target).catch(() => undefined);
        if (fresh === undefined) return 'failed';
        current = this.kind.reread(fresh, current);
        continue;
      }
      if (want.warning)
        this.limited.warn(want.warning.msg, want.warning.fields, this.kind.key(current));
      return { written: target.resourceVersion };
    }
    return 'failed';
  }

  /** What a failed PUT means, logged as the kind wants (see StatusKind.quiet). */
  private failed(o: O, err: unknown): WriteOutcome {
    const key = this.kind.key(o);
    const msg = `${this.kind.noun} status not written`;
    if (this.kind.quiet) this.log.debug(msg, { [this.kind.field]: key, err });
    if (isNotFound(err)) return 'gone';
    if (isConflict(err)) return 'conflict';
    if (!this.kind.quiet) this.limited.warn(msg, { [this.kind.field]: key, err }, key);
    return 'failed';
  }

  private async put(t: StatusTarget, status: Readonly<Record<string, unknown>>): Promise<void> {
    const { group, version, plural, kind, namespace, name, resourceVersion } = t;
    // A status PUT takes only `status` from the body; resourceVersion makes it a
    // compare-and-swap against the object as this replica last saw it.
    await this.api.replaceNamespacedCustomObjectStatus({
      group,
      version,
      plural,
      namespace,
      name,
      body: {
        apiVersion: `${group}/${version}`,
        kind,
        metadata: {
          namespace,
          name,
          ...(resourceVersion !== undefined ? { resourceVersion } : {}),
        },
        status,
      },
    });
  }

  private read(t: StatusTarget): Promise<unknown> {
    const { group, version, plural, namespace, name } = t;
    return this.api.getNamespacedCustomObjectStatus({ group, version, plural, namespace, name });
  }
}
