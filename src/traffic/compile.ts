// A TrafficPolicy object → the per-Service settings its targets' callers apply,
// every default filled in (defaults.ts). Never throws: a policy with any problem
// comes back `valid: false` with each problem's field, and applies nowhere (its
// Services keep weft's defaults, or the next-oldest valid policy's settings),
// rather than half of it applying in silence.
import type { z } from 'zod';
import type { Sink } from './compile-fields.js';
import { abortStatus, duration, retryOn } from './compile-fields.js';
import { BUDGET_DEFAULTS, OUTLIER_DEFAULTS, POOL_DEFAULTS, RETRY_DEFAULTS } from './defaults.js';
import { parseRetryOn } from './retry-on.js';
import type {
  ConnectionPool,
  Fault,
  LoadBalancer,
  OutlierDetection,
  Retries,
  RetryBudget,
} from './schema.js';
import { TrafficPolicySpec } from './schema.js';
import type {
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

type Of<T extends z.ZodType> = z.infer<T>;

const MS = { min1ms: { minMs: 1 }, any: { minMs: 0 } } as const;

const DEFAULT_RETRY_ON = (() => {
  const p = parseRetryOn(RETRY_DEFAULTS.retryOn);
  if (!p.ok) throw new Error(p.reason); // a constant: fails at import, in every test
  return { ...p.retryOn, statusCodes: RETRY_DEFAULTS.statusCodes };
})();

export const DEFAULT_RETRIES: RetrySettings = {
  attempts: RETRY_DEFAULTS.attempts,
  perTryTimeoutMs: undefined,
  retryOn: DEFAULT_RETRY_ON,
  backoffBaseMs: RETRY_DEFAULTS.backoffBaseMs,
  backoffMaxMs: RETRY_DEFAULTS.backoffBaseMs * RETRY_DEFAULTS.backoffCapFactor,
};

/** What a Service no valid TrafficPolicy targets gets. */
export const DEFAULT_SETTINGS: TrafficSettings = {
  loadBalancer: undefined,
  connectionPool: { ...POOL_DEFAULTS },
  outlierDetection: undefined,
  retries: DEFAULT_RETRIES,
  retryBudget: { ...BUDGET_DEFAULTS },
  fault: undefined,
};

function loadBalancer(
  s: Sink,
  lb: Of<typeof LoadBalancer> | undefined,
): LoadBalancerSettings | undefined {
  if (!lb) return undefined;
  if (lb.policy === 'RING_HASH') {
    if (lb.hashOn) return { policy: 'RING_HASH', hashOn: lb.hashOn };
    s.problems.push({
      field: 'spec.loadBalancer.hashOn',
      reason: 'RING_HASH needs hashOn: a header or a cookie',
    });
    return undefined;
  }
  if (lb.hashOn) {
    s.problems.push({
      field: 'spec.loadBalancer.hashOn',
      reason: `hashOn is only for RING_HASH, not ${lb.policy}`,
    });
  }
  return { policy: lb.policy };
}

function pool(s: Sink, p: Of<typeof ConnectionPool> | undefined): PoolLimits {
  const f = 'spec.connectionPool';
  return {
    maxConnections: p?.maxConnections ?? POOL_DEFAULTS.maxConnections,
    http1MaxPendingRequests: p?.http1MaxPendingRequests ?? POOL_DEFAULTS.http1MaxPendingRequests,
    http2MaxRequests: p?.http2MaxRequests ?? POOL_DEFAULTS.http2MaxRequests,
    maxRequestsPerConnection: p?.maxRequestsPerConnection ?? POOL_DEFAULTS.maxRequestsPerConnection,
    connectTimeoutMs:
      duration(s, `${f}.connectTimeout`, p?.connectTimeout, MS.min1ms) ??
      POOL_DEFAULTS.connectTimeoutMs,
    idleTimeoutMs:
      duration(s, `${f}.idleTimeout`, p?.idleTimeout, MS.any) ?? POOL_DEFAULTS.idleTimeoutMs,
  };
}

function outlier(s: Sink, o: Of<typeof OutlierDetection> | undefined): OutlierSettings | undefined {
  if (!o) return undefined;
  const f = 'spec.outlierDetection';
  const d = OUTLIER_DEFAULTS;
  return {
    consecutive5xxErrors: o.consecutive5xxErrors ?? d.consecutive5xxErrors,
    consecutiveGatewayErrors: o.consecutiveGatewayErrors ?? d.consecutiveGatewayErrors,
    intervalMs: duration(s, `${f}.interval`, o.interval, MS.min1ms) ?? d.intervalMs,
    baseEjectionTimeMs:
      duration(s, `${f}.baseEjectionTime`, o.baseEjectionTime, MS.min1ms) ?? d.baseEjectionTimeMs,
    maxEjectionTimeMs: d.maxEjectionTimeMs,
    maxEjectionPercent: o.maxEjectionPercent ?? d.maxEjectionPercent,
    minHealthPercent: o.minHealthPercent ?? d.minHealthPercent,
    alwaysEjectOneHost: o.alwaysEjectOneHost ?? d.alwaysEjectOneHost,
  };
}

function retries(s: Sink, r: Of<typeof Retries> | undefined): RetrySettings {
  if (!r) return DEFAULT_RETRIES;
  const f = 'spec.retries';
  const on = retryOn(s, `${f}.retryOn`, r.retryOn);
  const base = duration(s, `${f}.backoff`, r.backoff, MS.min1ms) ?? RETRY_DEFAULTS.backoffBaseMs;
  return {
    attempts: r.attempts ?? RETRY_DEFAULTS.attempts,
    perTryTimeoutMs: duration(s, `${f}.perTryTimeout`, r.perTryTimeout, MS.min1ms),
    retryOn: on?.ok ? on.retryOn : DEFAULT_RETRY_ON,
    backoffBaseMs: base,
    backoffMaxMs: base * RETRY_DEFAULTS.backoffCapFactor,
  };
}

function budget(s: Sink, b: Of<typeof RetryBudget> | undefined): BudgetSettings {
  const ttl = { minMs: 1000, maxMs: 60_000 }; // Finagle's and tower's bounds
  return {
    ratio: b?.ratio ?? BUDGET_DEFAULTS.ratio,
    minRetriesPerSecond: b?.minRetriesPerSecond ?? BUDGET_DEFAULTS.minRetriesPerSecond,
    ttlMs: duration(s, 'spec.retryBudget.ttl', b?.ttl, ttl) ?? BUDGET_DEFAULTS.ttlMs,
  };
}

function fault(s: Sink, x: Of<typeof Fault> | undefined): FaultSettings | undefined {
  if (!x) return undefined;
  const out: { delay?: FaultSettings['delay']; abort?: FaultSettings['abort'] } = {};
  if (x.delay) {
    const ms = duration(s, 'spec.fault.delay.fixedDelay', x.delay.fixedDelay, MS.min1ms);
    if (ms !== undefined) out.delay = { ms, percentage: x.delay.percentage ?? 0 };
  }
  if (x.abort) {
    const status = abortStatus(s, 'spec.fault.abort', x.abort);
    if (status) out.abort = { ...status, percentage: x.abort.percentage ?? 0 };
  }
  if (!x.delay && !x.abort)
    s.problems.push({ field: 'spec.fault', reason: 'set delay, abort or both' });
  return out;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    'spec',
  );
}

export function compileTrafficPolicy(p: TrafficPolicyObject): CompiledTrafficPolicy {
  const base = {
    namespace: p.namespace,
    name: p.name,
    creationTimestamp: p.creationTimestamp,
    generation: p.generation,
  };
  const parsed = TrafficPolicySpec.safeParse(p.spec ?? {});
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.map((i) => ({
      field: fieldOf(i.path),
      reason:
        i.code === 'unrecognized_keys'
          ? `${i.keys.join(', ')}: not a TrafficPolicy field`
          : i.message,
    }));
    const refs = (p.spec as { targetRefs?: unknown } | null)?.targetRefs;
    const targets = Array.isArray(refs)
      ? refs.flatMap((r) =>
          typeof (r as { name?: unknown })?.name === 'string' ? [(r as { name: string }).name] : [],
        )
      : [];
    return { ...base, valid: false, problems, targets, settings: DEFAULT_SETTINGS };
  }
  const spec = parsed.data;
  const s: Sink = { problems: [] };
  const settings: TrafficSettings = {
    loadBalancer: loadBalancer(s, spec.loadBalancer),
    connectionPool: pool(s, spec.connectionPool),
    outlierDetection: outlier(s, spec.outlierDetection),
    retries: retries(s, spec.retries),
    retryBudget: budget(s, spec.retryBudget),
    fault: fault(s, spec.fault),
  };
  const targets = spec.targetRefs.map((t) => t.name);
  targets.forEach((t, i) => {
    if (targets.indexOf(t) !== i) {
      s.problems.push({
        field: `spec.targetRefs[${i}]`,
        reason: `Service ${t} is already a target`,
      });
    }
  });
  const valid = s.problems.length === 0;
  return {
    ...base,
    valid,
    problems: s.problems,
    targets: [...new Set(targets)],
    settings: valid ? settings : DEFAULT_SETTINGS,
  };
}
