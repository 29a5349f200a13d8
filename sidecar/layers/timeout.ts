// The rule's request timeout (`timeouts.request`): the whole exchange, every try
// and the waits between them, from the moment the request was read. When it fires
// before the answer's head, the try in flight is stopped and the client gets 504
// with Envoy's `UT` flag and body; after it, the reply is reset (flag UT), as Envoy
// does. "0s" (0) disables it, as the spec says. A Service whose TrafficPolicy has a
// fault gets none (Istio: timeouts are not enabled when faults are). The limit is a
// Deadline (../deadline.ts), whose one timer the retry layer's per-try limit shares.
import { Deadline } from '../deadline.js';
import type { Layer } from '../exchange.js';

export const timeout: Layer = (next) => async (ex) => {
  const ms = ex.plan?.timeouts.request;
  if (!ms || ex.upgrade || ex.traffic?.settings.fault) return next(ex);
  const outer = ex.upstreamTry;
  const deadline = new Deadline(ms, outer);
  ex.upstreamTry = deadline;
  try {
    await next(ex);
  } finally {
    deadline.clear();
    ex.upstreamTry = outer;
  }
};
