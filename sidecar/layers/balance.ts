// Endpoint choice per request (outbound): the service's balancer picks a pod for
// every request, so one keep-alive client spreads over all of them. Balancers are
// built once per service object, so a config reload starts them afresh.
//
// The target is looked up again in the mesh in force at each pick: the routing
// layers may wait between route and here (a body read, a retry's back-off), and a
// view pushed meanwhile replaces every Service object. Picking from the old one
// would balance over endpoints already gone and check peers against identities the
// new index no longer holds for it.
import { randomInt } from 'node:crypto';
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Endpoint, Service } from '../../src/mesh/config.js';
import type { MeshIndex, Target } from '../../src/mesh/mesh-index.js';
import type { Balancer } from '../load-balancers.js';
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { leastRequest, random, ringHash, roundRobin } from '../load-balancers.js';
import type { Exchange, Layer } from '../exchange.js';

const balancers = new WeakMap<Service, Balancer<Endpoint>>();

export function balancerFor(service: Service, rand: Random = secureRandom): Balancer<Endpoint> {
  let b = balancers.get(service);
  if (!b) {
    const eps = service.endpoints;
    const lb = service.loadBalancer;
    if (lb.policy === 'LEAST_REQUEST') b = leastRequest(eps, rand);
    else if (lb.policy === 'RANDOM') b = random(eps, rand);
    else if (lb.policy === 'RING_HASH') b = ringHash(eps);
    else b = roundRobin(eps);
    balancers.set(service, b);
  }
  return b;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The consistent-hash key; without one, a request lands anywhere (as in Envoy). */
export function hashKey(ex: Exchange, service: Service): string | undefined {
  const lb = service.loadBalancer;
  if (lb.policy !== 'RING_HASH') return undefined;
  const value =
    'header' in lb.hashOn
      ? ex.req.headers[lb.hashOn.header.toLowerCase()]
      : cookie(ex.req.headers.cookie, lb.hashOn.cookie);
  return (Array.isArray(value) ? value[0] : value) ?? String(randomInt(2 ** 32));
}

/** The same Service and port in the mesh now in force (the old target if it is gone). */
export function current(mesh: MeshIndex, t: Target): Target {
  if (t.endpoint) return t;
  const now = mesh.service(t.service.namespace, t.service.name, t.port.port);
  return now && now.service !== t.service ? now : t;
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
    const b = balancerFor(target.service);
    const endpoint = b.pick(hashKey(ex, target.service));
    if (!endpoint) {
      throw new WeftError(
        ErrorCode.NoHealthyUpstream,
        `${target.service.name}.${target.service.namespace} has no endpoints`,
      );
    }
    ex.endpoint = endpoint;
    b.started(endpoint);
    try {
      await next(ex);
    } finally {
      b.finished(endpoint);
    }
  };
