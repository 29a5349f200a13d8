// Every default a TrafficPolicy field takes when it is left out, each with where
// it comes from: Istio's DestinationRule and VirtualService reference (and what
// istiod writes into Envoy's cluster), Envoy's own defaults where Istio leaves
// them to Envoy, and Linkerd's retry budget. One table so the docs, the tests
// and the sidecar agree.

/** Envoy's "no limit" for circuit breakers, which istiod sets on every cluster. */
export const UNLIMITED = 4_294_967_295;

export const POOL_DEFAULTS = {
  /** Istio: 2^32-1 (istiod's getDefaultCircuitBreakerThresholds). */
  maxConnections: UNLIMITED,
  http1MaxPendingRequests: UNLIMITED,
  http2MaxRequests: UNLIMITED,
  /** 0: unlimited (Istio: "0 means unlimited"). */
  maxRequestsPerConnection: 0,
  /** Istio's tcp.connectTimeout default, 10 s. */
  connectTimeoutMs: 10_000,
  /** Istio's http.idleTimeout default, 1 h. */
  idleTimeoutMs: 3_600_000,
} as const;

export const OUTLIER_DEFAULTS = {
  /** Envoy's consecutive_5xx default, left by Istio when the field is unset. */
  consecutive5xxErrors: 5,
  /** Off: Envoy enforces gateway-failure ejection only when Istio sets it. */
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  /** Envoy's max_ejection_time default (Istio does not expose it): the growth stops here. */
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  /** Istio disables Envoy's panic threshold (0 %) unless minHealthPercent says otherwise. */
  minHealthPercent: 0,
  /**
   * weft's choice, not Envoy's current default: the first ejection is allowed
   * whatever maxEjectionPercent says (Envoy before 1.27, or always_eject_one_host),
   * so a Service with fewer than ten endpoints can eject its bad one.
   */
  alwaysEjectOneHost: true,
} as const;

/** Istio's default retry policy (pilot retry.DefaultPolicy). */
export const RETRY_DEFAULTS = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  /** The retriable-status-codes istiod pairs with the default retryOn. */
  statusCodes: [503] as readonly number[],
  /** Envoy's base retry back-off; the cap is ten times the base. */
  backoffBaseMs: 25,
  backoffCapFactor: 10,
} as const;

/** Linkerd's default retry budget (ServiceProfile retryBudget). */
export const BUDGET_DEFAULTS = {
  ratio: 0.2,
  minRetriesPerSecond: 10,
  ttlMs: 10_000,
} as const;
