// The spec of TrafficPolicy (weft.dev/v1alpha1): the resilience Gateway API does
// not standardise, attached to Services the way Gateway API attaches policies
// (GEP-713: targetRefs in the policy's own namespace). Field names and defaults
// follow Istio's DestinationRule trafficPolicy (connectionPool, outlierDetection,
// loadBalancer) and VirtualService (retries, fault), flattened; the retry budget
// is Linkerd's. The shape is checked here; what the shape cannot say (durations,
// retryOn names, one of httpStatus/grpcStatus) is checked by compile.ts, which
// names each problem's field. The CRD (manifests/crds/trafficpolicies.weft.dev.yaml)
// refuses most of it at admission already.
import { z } from 'zod';

export const TRAFFIC_POLICY = {
  group: 'weft.dev',
  version: 'v1alpha1',
  plural: 'trafficpolicies',
  kind: 'TrafficPolicy',
} as const;

/** A Gateway API Duration (GEP-2257) as written; compile.ts parses it. */
const Duration = z.string().max(32);
const Percentage = z.number().min(0).max(100);
const Count = z.number().int().min(0).max(4_294_967_295);

/** GEP-713 LocalPolicyTargetReference: a Service in the policy's namespace. */
export const TargetRef = z.strictObject({
  group: z.literal(''),
  kind: z.literal('Service'),
  name: z.string().min(1).max(253),
});
export type TargetRef = z.infer<typeof TargetRef>;

export const LoadBalancer = z.strictObject({
  policy: z.enum(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH']),
  hashOn: z
    .union([
      z.strictObject({ header: z.string().min(1).max(256) }),
      z.strictObject({ cookie: z.string().min(1).max(256) }),
    ])
    .optional(),
});

export const ConnectionPool = z.strictObject({
  maxConnections: Count.optional(),
  http1MaxPendingRequests: Count.optional(),
  http2MaxRequests: Count.optional(),
  maxRequestsPerConnection: Count.optional(),
  connectTimeout: Duration.optional(),
  idleTimeout: Duration.optional(),
});

export const OutlierDetection = z.strictObject({
  consecutive5xxErrors: Count.optional(),
  consecutiveGatewayErrors: Count.optional(),
  interval: Duration.optional(),
  baseEjectionTime: Duration.optional(),
  maxEjectionPercent: z.number().int().min(0).max(100).optional(),
  minHealthPercent: z.number().int().min(0).max(100).optional(),
  alwaysEjectOneHost: z.boolean().optional(),
});

export const Retries = z.strictObject({
  attempts: z.number().int().min(0).max(100).optional(),
  perTryTimeout: Duration.optional(),
  retryOn: z.string().max(256).optional(),
  backoff: Duration.optional(),
});

export const RetryBudget = z.strictObject({
  ratio: z.number().min(0).max(1000).optional(),
  minRetriesPerSecond: z.number().int().min(0).max(1_000_000).optional(),
  ttl: Duration.optional(),
});

export const Fault = z.strictObject({
  delay: z.strictObject({ fixedDelay: Duration, percentage: Percentage.optional() }).optional(),
  abort: z
    .strictObject({
      httpStatus: z.number().int().optional(),
      grpcStatus: z.string().max(32).optional(),
      percentage: Percentage.optional(),
    })
    .optional(),
});

export const TrafficPolicySpec = z.strictObject({
  targetRefs: z.array(TargetRef).min(1).max(16),
  loadBalancer: LoadBalancer.optional(),
  connectionPool: ConnectionPool.optional(),
  outlierDetection: OutlierDetection.optional(),
  retries: Retries.optional(),
  retryBudget: RetryBudget.optional(),
  fault: Fault.optional(),
});
export type TrafficPolicySpec = z.infer<typeof TrafficPolicySpec>;
