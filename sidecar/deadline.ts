// A request's time limits on one timer: the rule's request timeout (timeouts.request,
// layers/timeout.ts) and the current try's (timeouts.backendRequest, layers/retry.ts).
// A Deadline stands in ex.upstreamTry: an UpstreamTry whose signal aborts when the
// request's time is up. A try gets a signal of its own only when its limit ends
// before the request's does; otherwise it uses the request's and no second timer
// or signal exists. What costs per request is signals and their listeners, so the
// signals are weft's light ones (try-signal.ts), the request's is made only when
// something asks for it, and the try's is aborted directly at the request's
// deadline, not through a listener on the request's.
import { ErrorCode, WeftError } from '../src/errors.js';
import type { UpstreamTry } from './exchange.js';
import { TryAbort } from './try-signal.js';
import type { TrySignal } from './try-signal.js';

export type Clock = () => number;
const monotonic: Clock = () => performance.now();

export const requestTimeout = (): WeftError =>
  new WeftError(ErrorCode.UpstreamTimeout, 'upstream request timeout');
export const tryTimeout = (): WeftError =>
  new WeftError(ErrorCode.UpstreamTimeout, 'upstream per-try timeout');

export class Deadline implements UpstreamTry {
  readonly head: UpstreamTry['head'];
  /** When the request's time is up (clock ms); Infinity: only tries have limits. */
  private readonly at: number;
  private controller: TryAbort | undefined;
  /** Set when the request's time is up. */
  private reason: Error | undefined;
  private tryController: TryAbort | undefined;
  private tryAt = Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What the timer is set for (clock ms); Infinity: not set. */
  private armedAt = Infinity;
  private cleared = false;

  constructor(
    ms: number | undefined,
    outer: UpstreamTry | undefined,
    private readonly clock: Clock = monotonic,
  ) {
    this.head = outer?.head;
    this.at = ms ? clock() + ms : Infinity;
    // Set once the layers below have run their synchronous part: by then the retry
    // layer has asked for its try's limit, and one timer serves both.
    if (ms) queueMicrotask(() => this.arm());
  }

  /** Aborted when the request's time is up, with a 504 `upstream request timeout`. */
  get signal(): TrySignal {
    if (!this.controller) {
      this.controller = new TryAbort();
      if (this.reason) this.controller.abort(this.reason);
      else this.arm();
    }
    return this.controller;
  }

  get expired(): boolean {
    return this.reason !== undefined;
  }

  /**
   * The signal for a try limited to `ms`: its own, aborted when that limit or the
   * request's passes, or the request's when the try's limit would not come first.
   */
  startTry(ms: number | undefined): TrySignal {
    this.tryController = undefined;
    this.tryAt = Infinity;
    const tryAt = ms ? this.clock() + ms : Infinity;
    if (this.reason || tryAt >= this.at) return this.signal;
    this.tryController = new TryAbort();
    this.tryAt = tryAt;
    this.arm();
    return this.tryController;
  }

  /** The try is over: its limit no longer applies (the timer, if set for it, is left to lapse). */
  endTry(): void {
    this.tryController = undefined;
    this.tryAt = Infinity;
  }

  /** The request is over. */
  clear(): void {
    this.cleared = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  /** One timer, set for the nearer of the request's and the try's limits. */
  private arm(): void {
    const next = Math.min(this.at, this.tryAt);
    if (next === this.armedAt || next === Infinity || this.cleared) return;
    clearTimeout(this.timer);
    this.armedAt = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.clock()));
  }

  /** The timer fired: for the request's limit (which wins a tie), else for the try's. */
  private fire(): void {
    const firedAt = this.armedAt;
    this.timer = undefined;
    this.armedAt = Infinity;
    if (firedAt >= this.at) {
      this.reason = requestTimeout();
      this.controller?.abort(this.reason);
      this.tryController?.abort(this.reason);
      return;
    }
    if (firedAt === this.tryAt) {
      this.tryController?.abort(tryTimeout());
      this.tryAt = Infinity;
    }
    this.arm();
  }
}
