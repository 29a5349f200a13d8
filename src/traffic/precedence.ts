// Which retries and timeouts a request runs under. A route's own `retry` and
// `timeouts` (HTTPRoute) win over the TrafficPolicy's, as Istio's VirtualService
// retries replace the mesh default: a route retry replaces the policy's retries
// whole (fields it leaves out take weft's defaults, which are Istio's), and a
// route's backendRequest timeout replaces the policy's perTryTimeout. A Service
// with a fault configured gets no retries and no timeouts at all (Istio: "timeouts
// or retries will not be enabled when faults are enabled on the client side"),
// so an injected delay or abort reaches the caller as configured.
import type { CompiledRule } from '../routes/types.js';
import { RETRY_DEFAULTS } from './defaults.js';
import type { EffectiveRetry } from './retry.js';
import type { RetryCondition } from './retry-on.js';
import type { TrafficSettings } from './types.js';

/**
 * What a matched HTTPRoute rule says: its `timeouts` (milliseconds, 0 disables,
 * undefined not set) and `retry`, as src/routes compiles them (and Plan carries).
 */
export type RouteResilience = Pick<CompiledRule, 'timeouts' | 'retry'>;

export interface Resilience {
  /** The whole request, retries included; undefined: none. */
  readonly requestTimeoutMs: number | undefined;
  readonly retry: EffectiveRetry | undefined;
  /** Where each came from, for `kubectl weft` and the debug view. */
  readonly source: {
    readonly retry: 'route' | 'policy' | 'disabled-by-fault';
    readonly timeouts: 'route' | 'policy' | 'none' | 'disabled-by-fault';
  };
}

/**
 * Gateway API retry (GEP-1731): the codes given, and connection errors
 * ("implementations SHOULD retry on connection errors ... if a retry stanza is
 * configured").
 */
const ROUTE_RETRY_ON: readonly RetryCondition[] = [
  'connect-failure',
  'refused-stream',
  'reset',
  'retriable-status-codes',
];

function routeRetry(
  r: NonNullable<RouteResilience['retry']>,
  perTryTimeoutMs: number | undefined,
): EffectiveRetry {
  const base = r.backoffMs ?? RETRY_DEFAULTS.backoffBaseMs;
  return {
    attempts: r.attempts ?? RETRY_DEFAULTS.attempts,
    retryOn: { conditions: new Set(ROUTE_RETRY_ON), statusCodes: r.codes },
    perTryTimeoutMs,
    backoffBaseMs: base,
    backoffMaxMs: base * RETRY_DEFAULTS.backoffCapFactor,
  };
}

const positive = (ms: number | undefined): number | undefined =>
  ms === undefined || ms === 0 ? undefined : ms;

export function effectiveResilience(
  route: RouteResilience | undefined,
  traffic: TrafficSettings,
): Resilience {
  if (traffic.fault) {
    return {
      requestTimeoutMs: undefined,
      retry: undefined,
      source: { retry: 'disabled-by-fault', timeouts: 'disabled-by-fault' },
    };
  }
  const t = route?.timeouts ?? {};
  const routePerTry = t.backendRequest !== undefined;
  const perTryTimeoutMs = routePerTry
    ? positive(t.backendRequest)
    : traffic.retries.perTryTimeoutMs;
  const retry = route?.retry
    ? routeRetry(route.retry, perTryTimeoutMs)
    : { ...traffic.retries, perTryTimeoutMs };
  const routeTimeouts = t.request !== undefined || routePerTry;
  return {
    requestTimeoutMs: positive(t.request),
    retry: retry.attempts > 0 ? retry : undefined,
    source: {
      retry: route?.retry ? 'route' : 'policy',
      timeouts: routeTimeouts ? 'route' : perTryTimeoutMs !== undefined ? 'policy' : 'none',
    },
  };
}
