// Linkerd's retry budget (tower's TpsBudget, after Finagle's RetryBudget): over
// any window of `ttl`, retries may be at most `ratio` × the requests sent plus
// `minRetriesPerSecond` × ttl. Requests deposit, retries withdraw; both land in
// one of ten slots covering ttl and expire with it, so an outage that makes every
// request fail is amplified by at most 20 % (+10/s), never by `attempts`×.
// The clock is injected (milliseconds, monotonic).
import type { BudgetSettings } from './types.js';

const SLOTS = 10;

interface Slot {
  deposits: number;
  retries: number;
}

export class RetryBudget {
  private readonly slotMs: number;
  private readonly slots: Slot[] = Array.from({ length: SLOTS }, () => ({
    deposits: 0,
    retries: 0,
  }));
  private current: number;
  /** min × ttl: the retries a quiet client always has. */
  private readonly reserve: number;

  constructor(
    private readonly settings: BudgetSettings,
    private readonly now: () => number,
  ) {
    this.slotMs = Math.max(1, settings.ttlMs / SLOTS);
    this.current = Math.floor(now() / this.slotMs);
    this.reserve = (settings.minRetriesPerSecond * settings.ttlMs) / 1000;
  }

  /** A request (not a retry) was sent. */
  deposit(): void {
    this.slot().deposits++;
  }

  /** May one more retry go now? Takes it from the budget when it may. */
  tryRetry(): boolean {
    if (this.remaining() < 1) return false;
    this.slot().retries++;
    return true;
  }

  /** Whole retries left in the current window. */
  remaining(): number {
    this.advance();
    let deposits = 0;
    let retries = 0;
    for (const s of this.slots) {
      deposits += s.deposits;
      retries += s.retries;
    }
    // 1e-9: 0.2 × 5 must give one retry, not 0.9999999999.
    return Math.floor(this.reserve + this.settings.ratio * deposits - retries + 1e-9);
  }

  private slot(): Slot {
    this.advance();
    return this.slots[this.current % SLOTS]!;
  }

  /** Clears the slots the clock has moved past (all of them after a quiet ttl). */
  private advance(): void {
    const index = Math.floor(this.now() / this.slotMs);
    if (index <= this.current) return; // a clock that steps back keeps the current slot
    const passed = Math.min(index - this.current, SLOTS);
    for (let i = 1; i <= passed; i++)
      this.slots[(this.current + i) % SLOTS] = { deposits: 0, retries: 0 };
    this.current = index;
  }
}
