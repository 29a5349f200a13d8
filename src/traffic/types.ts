// The TrafficPolicy contract shared by the sidecar (enforcement), discovery
// (status, streaming) and the plugin: policy objects in, per-Service settings
// out, with every default filled in. Pure data, no I/O.
import type { RetryOn } from './retry-on.js';

/** A TrafficPolicy as read from the API server (or the discovery stream). */
export interface TrafficPolicyObject {
  namespace: string;
  name: string;
  /** metadata.creationTimestamp (RFC 3339): the oldest policy wins a Service. */
  creationTimestamp: string;
  generation?: number;
  /** The raw `spec`; compileTrafficPolicy validates it and never throws. */
  spec: unknown;
}

export interface Problem {
  /** The offending field under the object, e.g. `spec.retries.retryOn`. */
  field: string;
  reason: string;
}

export type LoadBalancerSettings =
  | { readonly policy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' }
  | {
      readonly policy: 'RING_HASH';
      readonly hashOn: { readonly header: string } | { readonly cookie: string };
    };

export interface PoolLimits {
  readonly maxConnections: number;
  readonly http1MaxPendingRequests: number;
  readonly http2MaxRequests: number;
  /** 0: unlimited. */
  readonly maxRequestsPerConnection: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export interface OutlierSettings {
  /** 0: this kind of ejection is off. */
  readonly consecutive5xxErrors: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly minHealthPercent: number;
  readonly alwaysEjectOneHost: boolean;
}

export interface RetrySettings {
  /** Retries after the first try (Istio's and Gateway API's `attempts`); 0: none. */
  readonly attempts: number;
  /** Undefined: each try may use what is left of the request timeout. */
  readonly perTryTimeoutMs: number | undefined;
  readonly retryOn: RetryOn;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export interface BudgetSettings {
  /** Retries may be this fraction of requests, over ttl... */
  readonly ratio: number;
  /** ...plus this many a second (averaged over ttl). */
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
}

export type AbortSettings =
  | { readonly httpStatus: number; readonly percentage: number }
  | { readonly grpcStatus: number; readonly percentage: number };

export interface FaultSettings {
  readonly delay?: { readonly ms: number; readonly percentage: number };
  readonly abort?: AbortSettings;
}

/** What one Service's callers apply, every default filled in. */
export interface TrafficSettings {
  /** Undefined: the Service's own (the mesh config's, round robin by default). */
  readonly loadBalancer: LoadBalancerSettings | undefined;
  readonly connectionPool: PoolLimits;
  /** Undefined: no outlier detection (Istio: only when outlierDetection is set). */
  readonly outlierDetection: OutlierSettings | undefined;
  /** The retries a request gets when its route sets none. */
  readonly retries: RetrySettings;
  readonly retryBudget: BudgetSettings;
  readonly fault: FaultSettings | undefined;
}

export interface CompiledTrafficPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly generation: number | undefined;
  /** False: applies nowhere (and takes no Service from another policy). */
  readonly valid: boolean;
  readonly problems: readonly Problem[];
  /** Names of the Services (in the policy's namespace) it targets. */
  readonly targets: readonly string[];
  /** Meaningful only when valid. */
  readonly settings: TrafficSettings;
}
