// Istio's fault injection (VirtualService HTTPFaultInjection), decided once per
// request: a fixed delay and an abort, each with its own percentage and drawn
// independently (Istio: "delay and abort faults are independent of one
// another"); the delay happens first, then the abort. A fault without a
// percentage never fires (Istio: "If not specified, no request will be
// delayed/aborted"). A gRPC abort answers HTTP 200 with grpc-status, as Envoy's.
import type { Random } from '../random.js';
import type { ResponseFlag } from './flags.js';
import type { FaultSettings } from './types.js';

export interface FaultDecision {
  /** 0: no delay. */
  readonly delayMs: number;
  readonly abort: { readonly httpStatus: number } | { readonly grpcStatus: number } | undefined;
  /** DI and/or FI, for the access log and metrics. */
  readonly flags: readonly ResponseFlag[];
}

const fires = (percentage: number, random: Random): boolean => random() * 100 < percentage;

/** Undefined: no fault configured, or none fired for this request. */
export function decideFault(
  f: FaultSettings | undefined,
  random: Random,
): FaultDecision | undefined {
  if (!f) return undefined;
  const flags: ResponseFlag[] = [];
  let delayMs = 0;
  if (f.delay && fires(f.delay.percentage, random)) {
    delayMs = f.delay.ms;
    flags.push('DI');
  }
  let abort: FaultDecision['abort'];
  if (f.abort && fires(f.abort.percentage, random)) {
    abort =
      'httpStatus' in f.abort
        ? { httpStatus: f.abort.httpStatus }
        : { grpcStatus: f.abort.grpcStatus };
    flags.push('FI');
  }
  return flags.length === 0 ? undefined : { delayMs, abort, flags };
}
