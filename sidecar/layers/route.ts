// Logical routing (outbound): which service this request is for. A connection
// addressed to one pod stays with that pod; otherwise Host / :authority names the
// service, and the address the app dialled (a ClusterIP) is the fallback.
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
    ex.target = direct?.endpoint ? direct : (m.byHost(authority, port) ?? direct);
    if (!ex.target) {
      throw new WeftError(ErrorCode.NoRoute, `no mesh service for "${authority}"`);
    }
    return next(ex);
  };
