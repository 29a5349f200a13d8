// Runs the built `weft` binary as a real process (as a user would), with its JSON
// logs collected, and stops it by signal.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

export const WEFT_BIN = path.resolve(import.meta.dirname, '../../cli/weft.js');

export interface WeftProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Waits until a log line matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  signal(sig: NodeJS.Signals): Promise<number | string>;
}

export function startWeft(args: string[]): WeftProcess {
  return watchProcess(
    spawn(process.execPath, [WEFT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

/** Collects a child's output lines (stdout and stderr) and lets a test wait on them. */
export function watchProcess(child: ChildProcess): WeftProcess {
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    for (const l of listeners) l();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown'));
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.off('exit', kill));
  return {
    child,
    output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = output.find((l) => pattern.test(l));
          if (hit) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `no output matching ${pattern} within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`weft exited before ${pattern}:\n${output.slice(-20).join('\n')}`));
          }
        });
        check();
      });
    },
    signal(sig) {
      child.kill(sig);
      return exited;
    },
  };
}

/**
 * `weft control-plane --register true` against a cluster from outside it, on free
 * loopback ports; resolves once the webhook is registered, with the CA's port.
 */
export async function startLocalControlPlane(
  kubeconfig: string,
): Promise<{ weft: WeftProcess; caPort: number }> {
  const weft = startWeft([
    'control-plane',
    '--kubeconfig',
    kubeconfig,
    '--register',
    'true',
    '--ca-listen',
    '127.0.0.1:0',
    '--webhook-listen',
    '127.0.0.1:0',
    '--discovery-listen',
    '127.0.0.1:0',
  ]);
  const caReady = JSON.parse(await weft.waitFor(/"CA ready"/)) as { port: number };
  await weft.waitFor(/registered webhook configuration/);
  return { weft, caPort: caReady.port };
}
