// The TrafficPolicy compile table: a spec → the settings its Services get (every
// default pinned, from defaults.ts's sources) or the problems it is refused with,
// each naming its field. Plain data: the unit test runs it through
// compileTrafficPolicy, and the CRD suite (test/integration/traffic-policy-crd)
// applies every valid row to the real API server, so the schema and the CRD never
// disagree on what a user can write.
import type { TrafficPolicyObject } from './types.js';

export interface TrafficCase {
  readonly name: string;
  readonly spec: unknown;
  /**
   * valid: the settings paths given must equal these values (dotted paths into
   * TrafficSettings, e.g. `retries.attempts`); invalid: these problems, in order.
   */
  readonly expect:
    | { readonly valid: true; readonly settings: Readonly<Record<string, unknown>> }
    | { readonly valid: false; readonly problems: readonly { field: string; reason: RegExp }[] };
  /** The API server refuses it at admission too (the CRD suite checks which). */
  readonly refusedByCrd?: boolean;
}

export const NS = 'shop';
const echo = { group: '', kind: 'Service', name: 'echo' };
const T = [echo];

export function policyObject(
  name: string,
  spec: unknown,
  created = '2026-01-01T00:00:00Z',
): TrafficPolicyObject {
  return { namespace: NS, name, creationTimestamp: created, spec };
}

const ok = (settings: Record<string, unknown>) => ({ valid: true, settings }) as const;
const bad = (...problems: [string, RegExp][]) =>
  ({ valid: false, problems: problems.map(([field, reason]) => ({ field, reason })) }) as const;

export const TRAFFIC_CASES: readonly TrafficCase[] = [
  // ---- every default (Istio / Envoy / Linkerd) ----
  {
    name: 'targetRefs alone: Istio defaults everywhere, no outlier detection, no fault',
    spec: { targetRefs: T },
    expect: ok({
      loadBalancer: undefined,
      'connectionPool.maxConnections': 4_294_967_295,
      'connectionPool.http1MaxPendingRequests': 4_294_967_295,
      'connectionPool.http2MaxRequests': 4_294_967_295,
      'connectionPool.maxRequestsPerConnection': 0,
      'connectionPool.connectTimeoutMs': 10_000,
      'connectionPool.idleTimeoutMs': 3_600_000,
      outlierDetection: undefined,
      'retries.attempts': 2,
      'retries.perTryTimeoutMs': undefined,
      'retries.retryOn.conditions': [
        'connect-failure',
        'refused-stream',
        'unavailable',
        'cancelled',
        'retriable-status-codes',
      ],
      'retries.retryOn.statusCodes': [503],
      'retries.backoffBaseMs': 25,
      'retries.backoffMaxMs': 250,
      'retryBudget.ratio': 0.2,
      'retryBudget.minRetriesPerSecond': 10,
      'retryBudget.ttlMs': 10_000,
      fault: undefined,
    }),
  },
  {
    name: 'an empty outlierDetection turns it on with every default',
    spec: { targetRefs: T, outlierDetection: {} },
    expect: ok({
      'outlierDetection.consecutive5xxErrors': 5,
      'outlierDetection.consecutiveGatewayErrors': 0,
      'outlierDetection.intervalMs': 10_000,
      'outlierDetection.baseEjectionTimeMs': 30_000,
      'outlierDetection.maxEjectionTimeMs': 300_000,
      'outlierDetection.maxEjectionPercent': 10,
      'outlierDetection.minHealthPercent': 0,
      'outlierDetection.alwaysEjectOneHost': true,
    }),
  },
  {
    name: 'outlierDetection as written',
    spec: {
      targetRefs: T,
      outlierDetection: {
        consecutive5xxErrors: 3,
        consecutiveGatewayErrors: 2,
        interval: '1s',
        baseEjectionTime: '2m',
        maxEjectionPercent: 50,
        minHealthPercent: 30,
        alwaysEjectOneHost: false,
      },
    },
    expect: ok({
      'outlierDetection.consecutive5xxErrors': 3,
      'outlierDetection.consecutiveGatewayErrors': 2,
      'outlierDetection.intervalMs': 1000,
      'outlierDetection.baseEjectionTimeMs': 120_000,
      'outlierDetection.maxEjectionPercent': 50,
      'outlierDetection.minHealthPercent': 30,
      'outlierDetection.alwaysEjectOneHost': false,
    }),
  },
  {
    name: 'consecutive5xxErrors 0 disables 5xx ejection',
    spec: {
      targetRefs: T,
      outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 },
    },
    expect: ok({
      'outlierDetection.consecutive5xxErrors': 0,
      'outlierDetection.consecutiveGatewayErrors': 3,
    }),
  },
  {
    name: 'connectionPool as written (the Istio circuit-breaking task)',
    spec: {
      targetRefs: T,
      connectionPool: {
        maxConnections: 1,
        http1MaxPendingRequests: 1,
        http2MaxRequests: 10,
        maxRequestsPerConnection: 1,
        connectTimeout: '250ms',
        idleTimeout: '0s',
      },
    },
    expect: ok({
      'connectionPool.maxConnections': 1,
      'connectionPool.http1MaxPendingRequests': 1,
      'connectionPool.http2MaxRequests': 10,
      'connectionPool.maxRequestsPerConnection': 1,
      'connectionPool.connectTimeoutMs': 250,
      'connectionPool.idleTimeoutMs': 0,
    }),
  },
  {
    name: 'retries with only attempts keep the default retryOn, codes and back-off',
    spec: { targetRefs: T, retries: { attempts: 5 } },
    expect: ok({
      'retries.attempts': 5,
      'retries.retryOn.statusCodes': [503],
      'retries.backoffBaseMs': 25,
      'retries.backoffMaxMs': 250,
    }),
  },
  {
    name: 'retries as written: status codes in retryOn imply retriable-status-codes (istiod)',
    spec: {
      targetRefs: T,
      retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,reset,429,409', backoff: '100ms' },
    },
    expect: ok({
      'retries.attempts': 3,
      'retries.perTryTimeoutMs': 2000,
      'retries.retryOn.conditions': ['5xx', 'reset', 'retriable-status-codes'],
      'retries.retryOn.statusCodes': [429, 409],
      'retries.backoffBaseMs': 100,
      'retries.backoffMaxMs': 1000,
    }),
  },
  {
    name: 'retriable-status-codes without numbers retries no status (istiod builds the list from the numbers)',
    spec: { targetRefs: T, retries: { retryOn: 'retriable-status-codes,connect-failure' } },
    expect: ok({
      'retries.retryOn.conditions': ['retriable-status-codes', 'connect-failure'],
      'retries.retryOn.statusCodes': [],
    }),
  },
  {
    name: 'retryOn may have spaces after its commas (istiod trims them)',
    spec: { targetRefs: T, retries: { retryOn: '5xx, reset, 429' } },
    expect: ok({ 'retries.retryOn.conditions': ['5xx', 'reset', 'retriable-status-codes'] }),
  },
  {
    name: 'attempts 0 turns the default retries off',
    spec: { targetRefs: T, retries: { attempts: 0 } },
    expect: ok({ 'retries.attempts': 0 }),
  },
  {
    name: 'retryBudget as written',
    spec: { targetRefs: T, retryBudget: { ratio: 0.5, minRetriesPerSecond: 0, ttl: '30s' } },
    expect: ok({
      'retryBudget.ratio': 0.5,
      'retryBudget.minRetriesPerSecond': 0,
      'retryBudget.ttlMs': 30_000,
    }),
  },
  {
    name: 'loadBalancer LEAST_REQUEST',
    spec: { targetRefs: T, loadBalancer: { policy: 'LEAST_REQUEST' } },
    expect: ok({ loadBalancer: { policy: 'LEAST_REQUEST' } }),
  },
  {
    name: 'loadBalancer RING_HASH on a header',
    spec: { targetRefs: T, loadBalancer: { policy: 'RING_HASH', hashOn: { header: 'x-user' } } },
    expect: ok({ loadBalancer: { policy: 'RING_HASH', hashOn: { header: 'x-user' } } }),
  },
  {
    name: 'fault: a delay without percentage never fires (Istio)',
    spec: { targetRefs: T, fault: { delay: { fixedDelay: '5s' } } },
    expect: ok({ 'fault.delay': { ms: 5000, percentage: 0 }, 'fault.abort': undefined }),
  },
  {
    name: 'fault: an HTTP abort and a delay, each with its percentage',
    spec: {
      targetRefs: T,
      fault: {
        delay: { fixedDelay: '100ms', percentage: 10 },
        abort: { httpStatus: 503, percentage: 50 },
      },
    },
    expect: ok({
      'fault.delay': { ms: 100, percentage: 10 },
      'fault.abort': { httpStatus: 503, percentage: 50 },
    }),
  },
  {
    name: 'fault: a gRPC abort by name, fractional percentage',
    spec: { targetRefs: T, fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: 0.1 } } },
    expect: ok({ 'fault.abort': { grpcStatus: 14, percentage: 0.1 } }),
  },
  {
    name: 'several targets',
    spec: { targetRefs: [echo, { ...echo, name: 'cart' }] },
    expect: ok({}),
  },
  // ---- bad input, named ----
  {
    name: 'no targetRefs',
    spec: {},
    expect: bad(['spec.targetRefs', /expected array/]),
    refusedByCrd: true,
  },
  {
    name: 'a target that is not a Service',
    spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'r' }] },
    expect: bad(
      ['spec.targetRefs[0].group', /expected ""/],
      ['spec.targetRefs[0].kind', /expected "Service"/],
    ),
    refusedByCrd: true,
  },
  {
    name: 'an unknown field',
    spec: { targetRefs: T, circuitBreaker: {} },
    expect: bad(['spec', /circuitBreaker: not a TrafficPolicy field/]),
    refusedByCrd: true,
  },
  {
    name: 'a duration that is not one',
    spec: { targetRefs: T, connectionPool: { connectTimeout: '1.5s' } },
    expect: bad(['spec.connectionPool.connectTimeout', /"1\.5s" is not a duration/]),
    refusedByCrd: true,
  },
  {
    name: 'a zero interval',
    spec: { targetRefs: T, outlierDetection: { interval: '0s' } },
    expect: bad(['spec.outlierDetection.interval', /"0s" must be at least 1ms/]),
  },
  {
    name: 'a budget ttl outside 1s-60s',
    spec: { targetRefs: T, retryBudget: { ttl: '2m' } },
    expect: bad(['spec.retryBudget.ttl', /"2m" must be between 1s and 60s/]),
  },
  {
    name: 'an unknown retryOn name',
    spec: { targetRefs: T, retries: { retryOn: '5xx,on-failure' } },
    expect: bad(['spec.retries.retryOn', /"on-failure" is not a retry condition/]),
    refusedByCrd: true,
  },
  {
    name: 'a percentage over 100',
    spec: { targetRefs: T, fault: { abort: { httpStatus: 500, percentage: 150 } } },
    expect: bad(['spec.fault.abort.percentage', /<=100/]),
    refusedByCrd: true,
  },
  {
    name: 'an abort with both statuses',
    spec: {
      targetRefs: T,
      fault: { abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE', percentage: 1 } },
    },
    expect: bad(['spec.fault.abort', /exactly one of httpStatus and grpcStatus/]),
    refusedByCrd: true,
  },
  {
    name: 'an abort with an HTTP status that is not an error or a status',
    spec: { targetRefs: T, fault: { abort: { httpStatus: 700, percentage: 1 } } },
    expect: bad(['spec.fault.abort.httpStatus', /700 is not an HTTP status 200-599/]),
    refusedByCrd: true,
  },
  {
    name: 'an abort with an unknown gRPC status',
    spec: { targetRefs: T, fault: { abort: { grpcStatus: 'OK', percentage: 1 } } },
    expect: bad(['spec.fault.abort.grpcStatus', /"OK" is not a failing gRPC status name/]),
    refusedByCrd: true,
  },
  {
    name: 'an empty fault',
    spec: { targetRefs: T, fault: {} },
    expect: bad(['spec.fault', /set delay, abort or both/]),
    refusedByCrd: true,
  },
  {
    name: 'RING_HASH without hashOn',
    spec: { targetRefs: T, loadBalancer: { policy: 'RING_HASH' } },
    expect: bad(['spec.loadBalancer.hashOn', /RING_HASH needs hashOn/]),
    refusedByCrd: true,
  },
  {
    name: 'hashOn with ROUND_ROBIN',
    spec: { targetRefs: T, loadBalancer: { policy: 'ROUND_ROBIN', hashOn: { cookie: 'c' } } },
    expect: bad(['spec.loadBalancer.hashOn', /only for RING_HASH/]),
    refusedByCrd: true,
  },
  {
    name: 'an unknown load balancer',
    spec: { targetRefs: T, loadBalancer: { policy: 'MAGLEV' } },
    expect: bad(['spec.loadBalancer.policy', /Invalid option/]),
    refusedByCrd: true,
  },
  {
    name: 'a negative count',
    spec: { targetRefs: T, connectionPool: { maxConnections: -1 } },
    expect: bad(['spec.connectionPool.maxConnections', />=0/]),
    refusedByCrd: true,
  },
  {
    name: 'several problems, each named',
    spec: {
      targetRefs: T,
      retries: { perTryTimeout: 'soon', retryOn: 'sometimes' },
      outlierDetection: { baseEjectionTime: '0ms' },
    },
    expect: bad(
      ['spec.outlierDetection.baseEjectionTime', /"0ms" must be at least 1ms/],
      ['spec.retries.retryOn', /"sometimes" is not a retry condition/],
      ['spec.retries.perTryTimeout', /"soon" is not a duration/],
    ),
    refusedByCrd: true,
  },
  {
    name: 'the same Service twice',
    spec: { targetRefs: [echo, { ...echo, name: 'cart' }, echo] },
    expect: bad(['spec.targetRefs[2]', /Service echo is already a target/]),
    refusedByCrd: true,
  },
  {
    name: 'a spec that is not an object',
    spec: 'everything',
    expect: bad(['spec', /expected object/]),
    refusedByCrd: true,
  },
];
