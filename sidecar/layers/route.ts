// Logical routing (outbound): which service this request is for. A connection
// addressed to one pod stays with that pod; otherwise Host / :authority names the
// service, and the address the app dialled (a ClusterIP) is the fallback.
//
// A scoped sidecar (discovery) may know the service from its catalog but not yet
// hold its endpoints: the request waits for them (subscribed on first use, see
// subscriptions.ts), bounded; past the bound it fails closed with a named 503
// (`endpoints_pending`), never going anywhere without the endpoints' identities.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { MeshIndex, Target } from '../../src/mesh/mesh-index.js';
import type { Exchange, Layer } from '../exchange.js';
import { authorityOf } from '../exchange.js';
import type { OnDemand } from '../subscriptions.js';

function resolve(m: MeshIndex, ex: Exchange): Target | undefined {
  const { address, port } = ex.conn.destination;
  const direct = m.byDestination(address, port);
  return direct?.endpoint ? direct : (m.byHost(authorityOf(ex.req), port) ?? direct);
}

export const route =
  (mesh: () => MeshIndex, onDemand?: OnDemand): Layer =>
  (next) =>
  async (ex) => {
    let target = resolve(mesh(), ex);
    if (!target) {
      throw new WeftError(ErrorCode.NoRoute, `no mesh service for "${authorityOf(ex.req)}"`);
    }
    const { service } = target;
    const wait = target.endpoint ? undefined : onDemand?.endpoints(service.namespace, service.name);
    if (wait) {
      if ((await wait) === 'timeout') {
        throw new WeftError(
          ErrorCode.EndpointsPending,
          `endpoints of ${service.name}.${service.namespace} did not arrive in time`,
        );
      }
      // Arrived (or the service is gone): the view in force now has the answer.
      target = resolve(mesh(), ex) ?? target;
    }
    ex.target = target;
    return next(ex);
  };
