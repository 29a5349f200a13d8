// A scoped sidecar's subscriptions (docs/discovery.md, "Scoping"), as a state
// machine with an injected clock, no I/O: the discovery client sends what it
// returns and feeds it what arrives.
//
//   (none) --use--> pending --arrived--> held --idle--> (none: unsubscribe)
//                     |  \--removed/not found--> missing --arrived--> held
//                     \--wait past its deadline: that waiter times out, the
//                        subscription stays pending (the answer may still come)
//
// A name in use is touched on every use; one unused for `idleMs` (held or missing,
// nobody waiting) is dropped and unsubscribed. A reconnect re-subscribes every
// name (`names()`), held or pending.

export type Outcome = 'ready' | 'missing' | 'timeout';

/**
 * What the data path asks of discovery (a scoped sidecar's DiscoveryClient): undefined
 * when the resource is held (go on), else the outcome of waiting for it. Without
 * discovery (a mesh file) there is nothing to ask.
 */
export interface OnDemand {
  endpoints(namespace: string, name: string): Promise<Outcome> | undefined;
  pod(address: string): Promise<Outcome> | undefined;
}

type State = 'pending' | 'held' | 'missing';

interface Waiter {
  readonly deadline: number;
  readonly done: (outcome: Outcome) => void;
}

interface Entry {
  state: State;
  lastUsed: number;
  waiters: Waiter[];
}

export interface SubscriptionOptions {
  readonly now: () => number;
  /** How long a request waits for a resource before failing (closed). */
  readonly waitMs: number;
  /** How long a resource may go unused before it is unsubscribed. */
  readonly idleMs: number;
}

/** What `use` found: held (go on), missing (fail now), or a wait (and whether to subscribe). */
export type Use =
  | { readonly kind: 'held' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'wait'; readonly subscribe: boolean };

export class Subscriptions {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: SubscriptionOptions) {}

  get size(): number {
    return this.entries.size;
  }

  state(name: string): State | undefined {
    return this.entries.get(name)?.state;
  }

  /** Every subscribed name: what a (re)connecting sidecar subscribes to in its hello. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** A request needs `name`; `done` is called once if it has to wait (see Use). */
  use(name: string, done: (outcome: Outcome) => void): Use {
    const now = this.o.now();
    const e = this.entries.get(name);
    if (e) e.lastUsed = now;
    if (e?.state === 'held') return { kind: 'held' };
    if (e?.state === 'missing') return { kind: 'missing' };
    const waiter = { deadline: now + this.o.waitMs, done };
    if (e) {
      e.waiters.push(waiter);
      return { kind: 'wait', subscribe: false };
    }
    this.entries.set(name, { state: 'pending', lastUsed: now, waiters: [waiter] });
    return { kind: 'wait', subscribe: true };
  }

  /**
   * A message arrived: `has` says what the view holds once it is applied (or, if it
   * was refused, what the view still holds); `removed` are the names it removed or
   * answered as not found.
   */
  arrived(has: (name: string) => boolean, removed: ReadonlySet<string>): void {
    for (const [name, e] of this.entries) {
      if (has(name)) {
        if (e.state !== 'held') this.settle(e, 'held', 'ready');
      } else if (removed.has(name) || e.state === 'held') {
        this.settle(e, 'missing', 'missing');
      }
    }
  }

  /** Times out late waiters; returns the names unused for idleMs, now dropped. */
  sweep(): string[] {
    const now = this.o.now();
    const idle: string[] = [];
    for (const [name, e] of this.entries) {
      const late = e.waiters.filter((w) => w.deadline <= now);
      if (late.length) {
        e.waiters = e.waiters.filter((w) => w.deadline > now);
        for (const w of late) w.done('timeout');
      }
      if (!e.waiters.length && now - e.lastUsed >= this.o.idleMs) {
        this.entries.delete(name);
        idle.push(name);
      }
    }
    return idle;
  }

  private settle(e: Entry, state: State, outcome: Outcome): void {
    e.state = state;
    const waiters = e.waiters;
    e.waiters = [];
    for (const w of waiters) w.done(outcome);
  }
}
