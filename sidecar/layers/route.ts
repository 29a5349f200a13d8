// Logical routing (outbound): which service this request is for. The address the
// app dialled decides: a pod IP stays with that pod, a ClusterIP is that Service,
// whatever Host says (GAMMA's MeshClusterIPMatching: a route's Service parent is
// matched by the IP called, so `Host: b` sent to a's ClusterIP gets a's routes).
// Host / :authority names the service only when the address is no Service's.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Layer } from '../exchange.js';
import { authorityOf } from '../exchange.js';

export const route =
  (mesh: () => MeshIndex): Layer =>
  (next) =>
  (ex) => {
    const m = mesh();
    const { address, port } = ex.conn.destination;
    const direct = m.byDestination(address, port);
    const authority = authorityOf(ex.req);
    ex.target = direct ?? m.byHost(authority, port);
    if (!ex.target) {
      throw new WeftError(ErrorCode.NoRoute, `no mesh service for "${authority}"`);
    }
    return next(ex);
  };
