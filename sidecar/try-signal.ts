// The signal that stops a try upstream (a request or per-try timeout, deadline.ts).
// Every request with a timeout needs one, and almost none is ever aborted, so what it
// costs to make is what counts: Node's AbortController builds an EventTarget, whose
// construction and first listener were half of the timeout and retry layers' 7.7 µs
// per request (bench/retry-layers.ts, profiled: createAbortSignal 33 %,
// addEventListener and isEventTarget 10 %; nodejs/node#55311). What the forwarders
// and waits use of a signal is four members, so the type they take is those four,
// which an AbortSignal also has, and a try's signal is this small class.

/** What a try's users read and listen to; a DOM AbortSignal is one too. */
export interface TrySignal {
  readonly aborted: boolean;
  /** Why it was aborted (a WeftError for a timeout), read once `aborted`; an AbortSignal's is `any`. */
  readonly reason: Error;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A signal and its controller in one: `abort(reason)` once, then every listener runs,
 * once, in the order added. As with an AbortSignal, a listener added after the abort
 * never runs (its users check `aborted` first), and one that throws is reported as
 * an uncaught exception without stopping the others.
 */
export class TryAbort implements TrySignal {
  aborted = false;
  /** Set by `abort`, before which nobody reads it (see `aborted`). */
  reason!: Error;
  private listeners: (() => void)[] | undefined;

  /** Every listener runs at most once: `{ once: true }` is how it always behaves. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}
