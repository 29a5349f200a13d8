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
//
// Bounded: at most `max` names (below the server's cap, so a re-subscribing hello
// is never over it); a new name past it evicts the least recently used one nobody
// waits for. An unsubscribed name's removal may still be on its way when the name
// is used again: that removal is the answer to the unsubscribe, not a "not found",
// so it leaves the new subscription pending instead of failing its waiters.

export type Outcome = 'ready' | 'missing' | 'timeout';

/**
 * What the data path asks of discovery (a scoped sidecar's DiscoveryClient): undefined
 * when the resource is held (go on), else the outcome of waiting for it. Without
 * discovery (a mesh file) there is nothing to ask.
 */
export interface OnDemand {
  endpoints(namespace: string, name: string): Promise<Outcome> | undefined;
  pod(address: string): Promise<Outcome> | undefined;
  /** Whether an answer can come now (a scoped stream is open). */
  readonly live: boolean;
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
  /** At most this many names (default MAX_SIDECAR_SUBSCRIPTIONS). */
  readonly max?: number;
}

/** Half the server's cap (src/mesh/wire.ts MAX_SUBSCRIPTIONS): never over it. */
export const MAX_SIDECAR_SUBSCRIPTIONS = 10_000;

/**
 * What `use` found: held (go on), missing (fail now), full (no room: fail closed), or
 * wait (call `wait`). `subscribe`: send a subscribe for it; `evicted`: a name dropped
 * to make room, to unsubscribe.
 */
export interface Use {
  readonly kind: 'held' | 'missing' | 'full' | 'wait';
  readonly subscribe?: boolean;
  readonly evicted?: string;
}

export class Subscriptions {
  private readonly entries = new Map<string, Entry>();
  /** Unsubscribed names whose removal has not arrived yet. */
  private readonly leaving = new Set<string>();

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

  /**
   * A new stream: the server starts from the hello's names, so no removal is owed for
   * earlier unsubscribes. `held` are names the view holds already (kept as held).
   */
  reset(held: Iterable<string>): void {
    this.leaving.clear();
    const now = this.o.now();
    for (const name of held) {
      if (this.entries.has(name) || this.entries.size >= this.max) continue;
      this.entries.set(name, { state: 'held', lastUsed: now, waiters: [] });
    }
  }

  /**
   * A request needs `name`; on `wait`, it calls `wait` with its callback. `inView`: the
   * view holds it already (used again just after it was unsubscribed, its removal not
   * yet here): it is used as held while the subscription is sent again.
   */
  use(name: string, inView = false): Use {
    const now = this.o.now();
    const e = this.entries.get(name);
    if (e) {
      e.lastUsed = now;
      return { kind: e.state === 'pending' ? 'wait' : e.state };
    }
    const evicted = this.entries.size >= this.max ? this.evict() : undefined;
    if (this.entries.size >= this.max) return { kind: 'full' };
    const state = inView ? 'held' : 'pending';
    this.entries.set(name, { state, lastUsed: now, waiters: [] });
    return { kind: inView ? 'held' : 'wait', subscribe: true, ...(evicted ? { evicted } : {}) };
  }

  /** Waits for a pending name (after `use` said wait); `done` is called once. */
  wait(name: string, done: (outcome: Outcome) => void): void {
    const e = this.entries.get(name);
    if (!e || e.state !== 'pending') return done(e?.state === 'held' ? 'ready' : 'missing');
    e.waiters.push({ deadline: this.o.now() + this.o.waitMs, done });
  }

  /**
   * A message arrived: `has` says what the view holds once it is applied (or, if it
   * was refused, what the view still holds); `removed` are the names it removed or
   * answered as not found.
   */
  arrived(has: (name: string) => boolean, removed: ReadonlySet<string>): void {
    const stale = new Set<string>();
    for (const name of removed) if (this.leaving.delete(name)) stale.add(name);
    for (const [name, e] of this.entries) {
      if (has(name)) {
        if (e.state !== 'held') this.settle(e, 'held', 'ready');
      } else if (stale.has(name)) {
        // The answer to an unsubscribe: a subscription made since waits for its own.
        e.state = 'pending';
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
        this.drop(name);
        idle.push(name);
      }
    }
    return idle;
  }

  private get max(): number {
    return this.o.max ?? MAX_SIDECAR_SUBSCRIPTIONS;
  }

  /** Drops the least recently used name nobody waits for (O(n), only at the cap). */
  private evict(): string | undefined {
    let oldest: [string, Entry] | undefined;
    for (const kv of this.entries) {
      if (kv[1].waiters.length) continue;
      if (!oldest || kv[1].lastUsed < oldest[1].lastUsed) oldest = kv;
    }
    if (oldest) this.drop(oldest[0]);
    return oldest?.[0];
  }

  private drop(name: string): void {
    this.entries.delete(name);
    this.leaving.add(name);
  }

  private settle(e: Entry, state: State, outcome: Outcome): void {
    e.state = state;
    const waiters = e.waiters;
    e.waiters = [];
    for (const w of waiters) w.done(outcome);
  }
}
