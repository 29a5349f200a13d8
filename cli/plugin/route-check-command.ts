// `kubectl weft route-check --from NS/POD --to URL`: which route, rule and match a
// request from that caller would take, and what its sidecar would do with it,
// from the sidecar's own route functions and the cluster's routes.
import { takeHeaders } from './authz-request.js';
import { PluginError, PluginExit } from './errors.js';
import { parseOptions } from './options.js';
import { structured } from './output.js';
import { routeCheck } from './route-check-model.js';
import { renderRouteCheck } from './route-check-render.js';
import { parseCaller, parseRequest } from './route-check-request.js';
import { callerPod, listRoutes, readService, requirePort } from './routes-cluster.js';

export const ROUTE_CHECK_USAGE = `Usage: kubectl weft route-check (--from NS/POD | --from-namespace NS)
                               --to http://SVC.NS[:PORT]/PATH?QUERY | grpc://SVC.NS:PORT/pkg.Service/Method
                               [-X METHOD] [-H NAME:VALUE ...] [-o table|json|yaml]

What the caller's sidecar does with one request, computed by the functions the
sidecar runs (src/routes) over the cluster's HTTPRoutes and GRPCRoutes: the group of
routes the caller gets (producer, or its namespace's consumer routes), the route,
rule and match that decide, the filters (rewritten target and Host, headers set and
removed, redirect Location, mirrors), the backend (a weighted split: every backend
with its probability), timeouts and retry. No route attached: the Service as it is.
Routes attached and no rule matching: 404, as the sidecar answers.

  --from NS/POD        the calling pod (its namespace decides the consumer routes)
  --from-namespace NS  a caller in NS, no pod named
  --to URL             the Service and port (http: 80 when not given), target
  -X METHOD            default GET (gRPC: POST)
  -H NAME:VALUE        a request header; repeat for more; -H host:... sets the Host
                       (default: the URL's host and port as written)

Exit 0 when the request is forwarded (by a route, or to the Service as it is) or
redirected; 1 when the sidecar answers it itself with an error (404 no rule
matches, 500 no backend); 2 usage; 3 unreachable; 4 forbidden; 5 no such pod,
Service or port.
`;

const FLAGS = {
  from: { type: 'string' },
  'from-namespace': { type: 'string' },
  to: { type: 'string' },
  request: { type: 'string', short: 'X' },
} as const;

export async function runRouteCheck(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(ROUTE_CHECK_USAGE);
    return PluginExit.Ok;
  }
  const { rest, headers } = takeHeaders(args);
  const { global: g, values, positionals } = parseOptions(rest, FLAGS, ['table', 'json', 'yaml']);
  if (positionals.length) {
    throw new PluginError(
      `unexpected argument ${positionals[0]!}: the request is --to URL`,
      PluginExit.Usage,
    );
  }
  const caller = parseCaller(
    values.from as string | undefined,
    values['from-namespace'] as string | undefined,
  );
  const request = parseRequest(
    values.to as string | undefined,
    values.request as string | undefined,
    headers,
  );
  const svc = request.service;
  const [service, podNote] = await Promise.all([
    readService(g.kc, svc.namespace, svc.name, g.server),
    caller.pod ? callerPod(g.kc, caller.namespace, caller.pod, g.server) : undefined,
  ]);
  requirePort(service, request.port);
  const listed = await listRoutes(g.kc, [...new Set([svc.namespace, caller.namespace])], g.server);
  const notes = [...(podNote ? [podNote] : []), ...listed.notes];
  const view = routeCheck({ caller, request, routes: listed.routes });
  process.stdout.write(
    g.output === 'json' || g.output === 'yaml'
      ? structured(g.output, { ...view, notes })
      : renderRouteCheck(view, notes),
  );
  return view.outcome === 'no-match' || view.outcome === 'error'
    ? PluginExit.Findings
    : PluginExit.Ok;
}
