// Keepalive for a long-lived HTTP/2 session (the discovery stream, both ends): a
// PING every interval, and a deadline for its answer. A peer that stops answering
// (a frozen process, a half-open connection, a path that drops packets) is closed
// instead of holding its buffers and its place for the TCP timeout's hours.
import type http2 from 'node:http2';

export interface KeepaliveOptions {
  readonly intervalMs: number;
  /** How long an answer may take before the session is given up. */
  readonly deadlineMs: number;
  /** Called once when a PING went unanswered (or failed), before the session is destroyed. */
  readonly onTimeout: () => void;
}

/** Starts pinging `session` until it closes; returns a stop function. */
export function keepAlive(session: http2.Http2Session, o: KeepaliveOptions): () => void {
  let deadline: NodeJS.Timeout | undefined;
  const giveUp = (): void => {
    stop();
    if (session.destroyed) return;
    o.onTimeout();
    session.destroy();
  };
  const tick = setInterval(() => {
    if (deadline || session.destroyed) return; // one PING outstanding at a time
    deadline = setTimeout(giveUp, o.deadlineMs);
    deadline.unref();
    try {
      session.ping((err) => {
        // An error on a session already closing is its close, not a silent peer.
        if (err) return session.closed || session.destroyed ? stop() : giveUp();
        clearTimeout(deadline);
        deadline = undefined;
      });
    } catch {
      giveUp(); // closing or destroyed between the check and the call
    }
  }, o.intervalMs);
  tick.unref();
  const stop = (): void => {
    clearInterval(tick);
    if (deadline) clearTimeout(deadline);
    deadline = undefined;
  };
  session.once('close', stop);
  return stop;
}
