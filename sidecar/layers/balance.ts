// Endpoint choice per request (outbound): the service's balancer picks a pod for
// every request, so one keep-alive client spreads over all of them. Balancers are
// built once per service object, so a config reload starts them afresh.
//
// The target is looked up again in the mesh in force at each pick: the routing
// layers may wait between route and here (a body read, a retry's back-off), and a
// view pushed meanwhile replaces every Service object. Picking from the old one
// would balance over endpoints already gone and check peers against identities the
// new index no longer holds for it.
//
// The Service's TrafficPolicy (ex.traffic) may choose the balancer, and its outlier
// detection takes ejected endpoints out of the choice and learns from each try's
// result (src/traffic OutlierDetector: a 5xx or a failed connect counts, anything
// else clears the count).
import { randomInt } from 'node:crypto';
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Endpoint, LoadBalancer, Service } from '../../src/mesh/config.js';
import type { MeshIndex, Target } from '../../src/mesh/mesh-index.js';
import type { Balancer } from '../load-balancers.js';
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { leastRequest, random, ringHash, roundRobin } from '../load-balancers.js';
import type { OutlierDetector, OutlierResult } from '../../src/traffic/index.js';
import type { Exchange, Handler, Layer } from '../exchange.js';
import type { ServiceTraffic } from '../traffic-state.js';

interface Built {
  readonly lb: LoadBalancer;
  /** The endpoints' addresses when built over a subset (outlier ejections); '' for all. */
  readonly over: string;
  readonly b: Balancer<Endpoint>;
}

const balancers = new WeakMap<Service, Built>();

function makeBalancer(
  eps: readonly Endpoint[],
  lb: LoadBalancer,
  rand: Random,
): Balancer<Endpoint> {
  if (lb.policy === 'LEAST_REQUEST') return leastRequest(eps, rand);
  if (lb.policy === 'RANDOM') return random(eps, rand);
  if (lb.policy === 'RING_HASH') return ringHash(eps);
  return roundRobin(eps);
}

/**
 * The Service's balancer, under `lb` (a TrafficPolicy's choice, else the Service's
 * own), over `endpoints` (the healthy ones, else all of them).
 */
export function balancerFor(
  service: Service,
  rand: Random = secureRandom,
  lb: LoadBalancer = service.loadBalancer,
  endpoints: readonly Endpoint[] = service.endpoints,
): Balancer<Endpoint> {
  const over = endpoints === service.endpoints ? '' : endpoints.map((e) => e.address).join(',');
  const built = balancers.get(service);
  if (built && built.lb === lb && built.over === over) return built.b;
  const b = makeBalancer(endpoints, lb, rand);
  balancers.set(service, { lb, over, b });
  return b;
}

/** The endpoints to balance over: all, or those the outlier detector has not ejected. */
function candidates(service: Service, od: OutlierDetector | undefined): readonly Endpoint[] {
  if (!od || od.ejectedCount() === 0) return service.endpoints;
  return od.available(service.endpoints).endpoints;
}

const resultOf = (err: unknown): OutlierResult => {
  const code = (err as { code?: unknown }).code;
  if (code === ErrorCode.UpstreamTimeout) return { localOrigin: 'timeout' };
  if (code === ErrorCode.UpstreamReset) return { localOrigin: 'reset' };
  return { localOrigin: 'connect-failure' };
};

/** One try through the outlier detector: its answer's status (or failure) is recorded. */
async function observed(
  next: Handler,
  ex: Exchange,
  t: ServiceTraffic,
  address: string,
): Promise<void> {
  const od = t.outlier;
  if (!od) return next(ex);
  const outer = ex.upstreamTry;
  let status: number | undefined;
  // Named, not spread: the request's Deadline (../deadline.ts) keeps `signal` as a
  // getter on its prototype, which a spread would drop, and with it the timeout.
  ex.upstreamTry = {
    signal: outer?.signal,
    head: (s, h) => {
      status = s;
      return outer?.head ? outer.head(s, h) : h;
    },
  };
  try {
    await next(ex);
    if (status !== undefined) t.report([od.record(address, { status })]);
  } catch (err) {
    // A refusal of this sidecar's own pool (UO) is not the endpoint's; a timeout is
    // counted, as Envoy's detector counts it (localOrigin 'timeout').
    const e = err as { code?: unknown };
    if (e.code !== ErrorCode.UpstreamOverflow) t.report([od.record(address, resultOf(err))]);
    throw err;
  } finally {
    ex.upstreamTry = outer;
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The consistent-hash key; without one, a request lands anywhere (as in Envoy). */
export function hashKey(
  ex: Exchange,
  service: Service,
  lb: LoadBalancer = service.loadBalancer,
): string | undefined {
  if (lb.policy !== 'RING_HASH') return undefined;
  const value =
    'header' in lb.hashOn
      ? ex.req.headers[lb.hashOn.header.toLowerCase()]
      : cookie(ex.req.headers.cookie, lb.hashOn.cookie);
  return (Array.isArray(value) ? value[0] : value) ?? String(randomInt(2 ** 32));
}

/**
 * The same target in the mesh now in force (the old one if it is gone): the same
 * Service and port, or for a pod the app dialled directly, the same pod address and
 * port, whose Service object a push replaced too (the peer is checked against the
 * identities the index holds for that object, and the new index knows only its own).
 */
export function current(mesh: MeshIndex, t: Target): Target {
  const now = t.endpoint
    ? mesh.byDestination(t.endpoint.address, t.port.targetPort ?? t.port.port)
    : mesh.service(t.service.namespace, t.service.name, t.port.port);
  return now && now.service !== t.service && Boolean(now.endpoint) === Boolean(t.endpoint)
    ? now
    : t;
}

export const balance =
  (mesh: () => MeshIndex): Layer =>
  (next) =>
  async (ex) => {
    const target = (ex.target = current(mesh(), ex.target!));
    if (target.endpoint) {
      ex.endpoint = target.endpoint;
      return next(ex);
    }
    const t = ex.traffic;
    const od = t?.detector(target.service);
    const lb = t?.settings.loadBalancer ?? target.service.loadBalancer;
    const b = balancerFor(target.service, secureRandom, lb, candidates(target.service, od));
    const endpoint = b.pick(hashKey(ex, target.service, lb));
    if (!endpoint) {
      throw new WeftError(
        ErrorCode.NoHealthyUpstream,
        `${target.service.name}.${target.service.namespace} has no endpoints`,
      );
    }
    ex.endpoint = endpoint;
    b.started(endpoint);
    try {
      await (t && od ? observed(next, ex, t, endpoint.address) : next(ex));
    } finally {
      b.finished(endpoint);
    }
  };
