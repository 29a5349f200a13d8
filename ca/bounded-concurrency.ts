// A semaphore with a bounded wait queue: at most `limit` tasks run at once and at
// most `maxQueued` wait; past that a caller is refused at once (503 with Retry-After)
// instead of waiting behind a flood, so one peer cannot queue unbounded work.
import { ErrorCode, WeftError } from '../src/errors.js';

export class BoundedConcurrency {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueued: number,
    private readonly what: string,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.maxQueued) {
        throw new WeftError(ErrorCode.Unavailable, `too many ${this.what} in progress; retry`, {
          retryAfterSeconds: 1,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get queued(): number {
    return this.waiting.length;
  }
}
