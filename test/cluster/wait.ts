// Bounded polling for the cluster's readiness conditions: each wait names what it
// waited for, and ends early when a process it depends on has died.
export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Returns a reason when waiting is pointless (a process exited). */
  readonly dead?: () => string | undefined;
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const dead = opts.dead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  throw new Error(
    `${what}: not within ${opts.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}
