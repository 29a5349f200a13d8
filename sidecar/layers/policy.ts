// The TrafficPolicy in force for the Service a request goes to (outbound): after
// `routes` has picked the concrete backend Service, its policy (or weft's
// defaults, which are Istio's) is looked up once and its running state (retry
// budget, pool counters, outlier detector) hung on the exchange for the layers
// below: fault, timeout, retry, pool and balance. A call to one pod's address
// (no Service) gets none, as a DestinationRule applies only to a host.
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Layer } from '../exchange.js';
import type { TrafficStates } from '../traffic-state.js';

export const trafficPolicy =
  (states: TrafficStates, mesh: () => MeshIndex): Layer =>
  (next) =>
  (ex) => {
    const target = ex.target!;
    if (!target.endpoint) ex.traffic = states.for(mesh(), target.service);
    return next(ex);
  };
