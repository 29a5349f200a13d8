// Child processes of a control-plane run: started with their output in a log
// file, stopped with SIGTERM then SIGKILL, and watched by a detached reaper that
// kills them and removes the run's directory if this process dies without
// cleaning up (SIGKILL, a crashed test runner).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<void>;
}

export function startChild(name: string, command: string, args: string[], logFile: string): Child {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return { name, process: child, logFile, exited };
}

export function isRunning(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (!isRunning(child)) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export function logTail(child: Child, lines = 25): string {
  try {
    return readFileSync(child.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

/**
 * Starts a detached shell that waits for this process to die, then kills the
 * given pids and removes `dir`. Returns a function that dismisses it.
 */
export function startReaper(pids: number[], dir: string): () => void {
  const list = pids.join(' ');
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `kill -TERM ${list} 2>/dev/null; sleep 2; kill -KILL ${list} 2>/dev/null`,
    `rm -rf '${dir.replace(/'/g, "'\\''")}'`,
  ].join('; ');
  const reaper = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  reaper.unref();
  return () => {
    try {
      reaper.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
}
