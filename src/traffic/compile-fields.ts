// The checks a TrafficPolicy's shape cannot express, each naming its field:
// durations (Gateway API GEP-2257) with their bounds, retryOn names, the abort's
// one status, and a load balancer's hash key. Each returns the value to use, or
// undefined after recording a problem.
import { parseDuration } from '../routes/duration.js';
import type { ParsedRetryOn } from './retry-on.js';
import { parseRetryOn } from './retry-on.js';
import type { Problem } from './types.js';

export interface Sink {
  readonly problems: Problem[];
}

/** gRPC status names (google.rpc.Code), as Istio's grpcStatus takes them. */
export const GRPC_CODES: Readonly<Record<string, number>> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export interface DurationBounds {
  readonly minMs: number;
  readonly maxMs?: number;
}

const describeMs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** A duration field: undefined when absent or bad (bad is recorded). */
export function duration(
  s: Sink,
  field: string,
  text: string | undefined,
  bounds: DurationBounds,
): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) {
    s.problems.push({
      field,
      reason: `"${text}" is not a duration (e.g. "500ms", "10s", "1m30s": units h, m, s, ms)`,
    });
    return undefined;
  }
  if (ms < bounds.minMs || (bounds.maxMs !== undefined && ms > bounds.maxMs)) {
    const range =
      bounds.maxMs === undefined
        ? `at least ${describeMs(bounds.minMs)}`
        : `between ${describeMs(bounds.minMs)} and ${describeMs(bounds.maxMs)}`;
    s.problems.push({ field, reason: `"${text}" must be ${range}` });
    return undefined;
  }
  return ms;
}

export function retryOn(
  s: Sink,
  field: string,
  text: string | undefined,
): ParsedRetryOn | undefined {
  if (text === undefined) return undefined;
  const parsed = parseRetryOn(text);
  if (!parsed.ok) s.problems.push({ field, reason: parsed.reason });
  return parsed;
}

/** The abort's status: exactly one of httpStatus (200-599) and grpcStatus (a name, not OK). */
export function abortStatus(
  s: Sink,
  field: string,
  a: { httpStatus?: number | undefined; grpcStatus?: string | undefined },
): { httpStatus: number } | { grpcStatus: number } | undefined {
  if ((a.httpStatus === undefined) === (a.grpcStatus === undefined)) {
    s.problems.push({ field, reason: 'set exactly one of httpStatus and grpcStatus' });
    return undefined;
  }
  if (a.httpStatus !== undefined) {
    if (a.httpStatus >= 200 && a.httpStatus <= 599) return { httpStatus: a.httpStatus };
    s.problems.push({
      field: `${field}.httpStatus`,
      reason: `${a.httpStatus} is not an HTTP status 200-599`,
    });
    return undefined;
  }
  const code = GRPC_CODES[a.grpcStatus ?? ''];
  if (code !== undefined) return { grpcStatus: code };
  s.problems.push({
    field: `${field}.grpcStatus`,
    reason: `"${a.grpcStatus}" is not a failing gRPC status name (${Object.keys(GRPC_CODES).join(', ')})`,
  });
  return undefined;
}
