// Concrete routing's precondition (outbound, scoped sidecars): the Service this
// request now goes to (the one `route` named, or the backend a route rule picked)
// has its endpoints in the view. A scoped sidecar holds the catalog but endpoints
// only for what it calls (docs/discovery.md, "Scoping"): the first request to a
// Service subscribes and waits for them, bounded; past the bound it fails closed
// with a named 503 (`endpoints_pending`), never going anywhere without the
// endpoints' identities. A request addressed to one pod already has its endpoint.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Layer } from '../exchange.js';
import type { OnDemand } from '../subscriptions.js';

export const endpoints =
  (onDemand: OnDemand | undefined): Layer =>
  (next) =>
  async (ex) => {
    // Mirrors are best effort: their endpoints are subscribed, never waited for (a copy
    // before they land is dropped and counted, as one to a backend without endpoints).
    for (const m of ex.plan?.mirrors ?? []) void onDemand?.endpoints(m.namespace, m.name);
    const target = ex.target!;
    const { service } = target;
    if (target.endpoint) {
      // A connection dialled to one pod (a StatefulSet member, a headless Service) is set
      // up once but carries many requests: each touches the pod's subscriptions, or they
      // would lapse after the idle time while the connection is still in use.
      void onDemand?.pod(target.endpoint.address);
      void onDemand?.endpoints(service.namespace, service.name);
      return next(ex);
    }
    const wait = onDemand?.endpoints(service.namespace, service.name);
    // Arrived, or answered missing (the Service is gone): balance reads the view in force.
    if (wait && (await wait) === 'timeout') {
      throw new WeftError(
        ErrorCode.EndpointsPending,
        `endpoints of ${service.name}.${service.namespace} did not arrive in time`,
      );
    }
    return next(ex);
  };
