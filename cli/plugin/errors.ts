// kubectl weft's exit codes, which scripts can rely on, and the mapping from any
// failure to one clear line and one of them. No stack traces.
import { ApiException } from '@kubernetes/client-node';
import { ErrorCode, WeftError } from '../../src/errors.js';
import { apiMessage } from '../../src/k8s/client.js';

export const PluginExit = {
  Ok: 0,
  /** audit: findings at or above --fail-on; check: a failed check. */
  Findings: 1,
  Usage: 2,
  Unreachable: 3,
  Forbidden: 4,
  NotFound: 5,
  /** The namespace asked about has nothing of weft's: not enabled, no injected pods, no records. */
  NoWeft: 6,
} as const;

export class PluginError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** One line and an exit code for whatever went wrong talking to the cluster. */
export function explain(err: unknown, what: string, server?: string): PluginError {
  if (err instanceof PluginError) return err;
  if (err instanceof WeftError && err.code === ErrorCode.ConfigInvalid)
    return new PluginError(err.message, PluginExit.Usage);
  if (err instanceof ApiException && typeof err.code === 'number' && err.code > 0) {
    const msg = apiMessage(err);
    if (err.code === 401 || err.code === 403)
      return new PluginError(`forbidden: ${what}: ${msg}`, PluginExit.Forbidden);
    if (err.code === 404) return new PluginError(`not found: ${msg}`, PluginExit.NotFound);
    return new PluginError(`${what}: ${msg}`, PluginExit.Findings);
  }
  const reason =
    err instanceof Error
      ? err.cause instanceof Error
        ? err.cause.message
        : err.message
      : String(err);
  return new PluginError(
    `cannot reach the cluster${server ? ` at ${server}` : ''}: ${reason}`,
    PluginExit.Unreachable,
  );
}
