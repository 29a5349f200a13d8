// Rate-limited log lines. A hostile peer can trigger a refusal per request; one warn
// line each would let it grow the logs without bound (a review saw 398 KB in 0.8 s).
// Each key (usually the message plus a bounded reason) gets a small burst per window;
// past it, lines are counted and one summary with `suppressed: N` is written when the
// window closes on the next line of that key.
import type { Logger } from './log.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface LimitedLogger {
  /** Logs `msg` at `level` unless its key has spent its burst in this window. */
  log(level: Level, msg: string, fields?: Record<string, unknown>, key?: string): void;
  warn(msg: string, fields?: Record<string, unknown>, key?: string): void;
}

export interface LogLimitOptions {
  /** Lines per key per window before suppression; default 5. */
  readonly burst?: number;
  /** Window length in ms; default 10 000. */
  readonly windowMs?: number;
  /** Distinct keys tracked; past it, the oldest is forgotten. Default 1000. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Window {
  start: number;
  written: number;
  suppressed: number;
}

export function limitLogger(log: Logger, opts: LogLimitOptions = {}): LimitedLogger {
  const burst = opts.burst ?? 5;
  const windowMs = opts.windowMs ?? 10_000;
  const maxKeys = opts.maxKeys ?? 1000;
  const now = opts.now ?? Date.now;
  const windows = new Map<string, Window>();

  const limited: LimitedLogger = {
    log(level, msg, fields = {}, key = msg) {
      const t = now();
      let w = windows.get(key);
      if (w && t - w.start >= windowMs) {
        if (w.suppressed > 0) log[level](msg, { ...fields, suppressed: w.suppressed });
        windows.delete(key);
        w = undefined;
      }
      if (!w) {
        if (windows.size >= maxKeys) {
          const oldest = windows.keys().next();
          if (!oldest.done) windows.delete(oldest.value);
        }
        w = { start: t, written: 0, suppressed: 0 };
        windows.set(key, w);
      }
      if (w.written < burst) {
        w.written++;
        log[level](msg, fields);
      } else {
        w.suppressed++;
      }
    },
    warn: (msg, fields, key) => limited.log('warn', msg, fields, key),
  };
  return limited;
}
