// TrafficPolicy: weft's resilience API (what Gateway API does not standardise)
// as pure data, defaults and state machines, shared by the sidecar, discovery
// and the plugin. Semantics and defaults: Istio's DestinationRule and
// VirtualService, Envoy's outlier detection and retry back-off, Linkerd's retry
// budget. See docs/traffic-policy.md.
export { TRAFFIC_POLICY, TrafficPolicySpec } from './schema.js';
export type {
  AbortSettings,
  BudgetSettings,
  CompiledTrafficPolicy,
  FaultSettings,
  LoadBalancerSettings,
  OutlierSettings,
  PoolLimits,
  Problem,
  RetrySettings,
  TrafficPolicyObject,
  TrafficSettings,
} from './types.js';
export { BUDGET_DEFAULTS, OUTLIER_DEFAULTS, POOL_DEFAULTS, RETRY_DEFAULTS } from './defaults.js';
export { DEFAULT_RETRIES, DEFAULT_SETTINGS, compileTrafficPolicy } from './compile.js';
export { byPrecedence, policiesFor, trafficFor } from './select.js';
export type { ServiceRef, ServiceTraffic } from './select.js';
export { trafficPolicyConditions } from './status.js';
export type { TrafficPolicyCondition, TrafficStatusWorld } from './status.js';
export { RETRY_CONDITIONS, parseRetryOn, shouldRetry } from './retry-on.js';
export type { RetryCondition, RetryOn, TryOutcome } from './retry-on.js';
export { RetryBackoff } from './backoff.js';
export { RetryBudget } from './budget.js';
export { RequestRetries } from './retry.js';
export type { EffectiveRetry, RetryVerdict } from './retry.js';
export { OutlierDetector } from './outlier.js';
export type { EjectionReason, OutlierEvent, OutlierResult } from './outlier.js';
export { PoolGate } from './pool.js';
export type { Admission, PoolLimit } from './pool.js';
export { decideFault } from './fault.js';
export type { FaultDecision } from './fault.js';
export { ResponseFlag, formatFlags, mergeFlags } from './flags.js';
export { effectiveResilience } from './precedence.js';
export type { Resilience, RouteResilience } from './precedence.js';
