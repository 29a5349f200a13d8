// Routing rules (outbound): after `route` has named the Service and port the app
// called, the HTTPRoutes or GRPCRoutes attached to it decide what happens
// (route-decision.ts, pure). No route: the request goes on untouched. A rule
// matched: a redirect is answered here; otherwise the request is rewritten as the
// rule says and its target becomes the backend Service picked, so `balance`
// balances over that Service's endpoints and the metrics name it. No rule
// matching (404) and no backend to send to (500) are typed errors for rescue.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { MeshIndex } from '../../src/mesh/mesh-index.js';
import type { Random } from '../../src/random.js';
import { secureRandom } from '../../src/random.js';
import { modifyHeaders } from '../../src/routes/index.js';
import type { HeaderModifier } from '../../src/routes/schema.js';
import type http from 'node:http';
import type { Exchange, ForwardPlan, Layer, ProxyRequest } from '../exchange.js';
import { isHttp2Request, untilReplyEnds } from '../exchange.js';
import { decideRoute } from '../route-decision.js';

type Headers = Parameters<typeof modifyHeaders>[0];

/** The request as the rule rewrote it: target, headers, Host (and h2 :authority). */
export function rewriteRequest(req: ProxyRequest, plan: ForwardPlan): void {
  req.url = plan.target;
  const headers = req.headers as Record<string, unknown>;
  for (const name of Object.keys(headers))
    if (!Object.hasOwn(plan.headers, name)) delete headers[name];
  Object.assign(headers, plan.headers);
  if (plan.host !== undefined && isHttp2Request(req)) headers[':authority'] = plan.host;
}

/** ResponseHeaderModifier filters, in order, on the answer's head. */
export function modifyResponse(
  headers: http.OutgoingHttpHeaders,
  modifiers: readonly HeaderModifier[],
): http.OutgoingHttpHeaders {
  let out = headers as Headers;
  for (const m of modifiers) out = modifyHeaders(out, m);
  return out as http.OutgoingHttpHeaders;
}

async function answerRedirect(ex: Exchange, status: number, location: string): Promise<void> {
  ex.res.writeHead(status, { location, 'content-length': 0 });
  ex.res.end();
  await untilReplyEnds(ex);
}

export const routes =
  (mesh: () => MeshIndex, random: Random = secureRandom): Layer =>
  (next) =>
  (ex) => {
    const d = decideRoute(mesh(), ex.target!, ex.req, random);
    if (d.type === 'none') return next(ex);
    if (d.type === 'no-match') {
      throw new WeftError(ErrorCode.NoRoute, 'no route rule matches the request');
    }
    ex.routed = d.by;
    if (d.type === 'redirect') return answerRedirect(ex, d.status, d.location);
    if (d.type === 'error') throw new WeftError(ErrorCode.RouteBackendUnusable, d.why);
    rewriteRequest(ex.req, d.plan);
    ex.target = d.target;
    ex.plan = d.plan;
    const modifiers = d.plan.responseHeaders;
    if (modifiers.length > 0) {
      ex.upstreamTry = { head: (_status, headers) => modifyResponse(headers, modifiers) };
    }
    return next(ex);
  };
