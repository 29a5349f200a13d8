// RequestMirror (outbound): the rule's mirrors get a copy of the request as it is
// forwarded, sent on the side (mirror-sender.ts) while the request goes on; their
// answers and failures never reach the client.
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Layer } from '../exchange.js';
import type { MirrorSender } from '../mirror-sender.js';

export const mirror =
  (sender: MirrorSender, mesh: () => MeshIndex): Layer =>
  (next) =>
  (ex) => {
    const mirrors = ex.plan?.mirrors;
    if (mirrors?.length && !ex.upgrade) sender.send(mesh(), ex, mirrors);
    return next(ex);
  };
