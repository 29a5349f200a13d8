// `kubectl weft routes SVC`: the HTTPRoutes and GRPCRoutes attached to a Service,
// compiled, selected and ordered by the same src/routes functions the sidecars
// run, with the status the control plane wrote on them.
import { PluginError, PluginExit } from './errors.js';
import { parseOptions } from './options.js';
import { structured } from './output.js';
import { listRoutes, readService, requirePort } from './routes-cluster.js';
import { routesHealthy, routesView } from './routes-model.js';
import { renderRoutes } from './routes-render.js';
import { listTrafficPolicies, renderTraffic, trafficView } from './traffic-policies.js';

export const ROUTES_USAGE = `Usage: kubectl weft routes SVC [-n NS] | NS/SVC  [--port PORT] [--from-namespace NS]
                          [-o table|json|yaml]

The HTTPRoutes and GRPCRoutes (Gateway API, GAMMA) attached to the Service, as the
sidecars apply them (src/routes, the sidecar's own matcher). For each port of the
Service (--port: one): the group of routes that applies to the caller and every
rule match of it, one line each, in the order the matcher tries them, with its
filters, backends (a weighted split as shares) and timeouts/retry; then every route
naming the Service as a parent: producer or consumer, where it applies or why not,
the problems weft finds (dropped rules named) and the status conditions the control
plane wrote ("no status" when none). Last, the TrafficPolicy in force on the Service
(the oldest valid one targeting it, else weft's defaults) with the settings its
callers apply, and every TrafficPolicy targeting it with its status.

Without --from-namespace the producer routes are shown: what a caller gets whose
namespace has no consumer routes. With it, what a caller in NS gets: its own
namespace's consumer routes where it has any (they replace the producer routes).

Exit 0; 1 when a route attached to the Service has problems or a status condition
False; 2 usage; 3 unreachable; 4 forbidden; 5 no such Service or port.
`;

const FLAGS = {
  port: { type: 'string' },
  'from-namespace': { type: 'string' },
} as const;

/** SVC with -n, or NS/SVC. */
export function serviceArg(
  positionals: readonly string[],
  namespace: string | undefined,
): { namespace: string; name: string } {
  const [arg, ...more] = positionals;
  if (!arg || more.length) throw new PluginError('expected one SVC (or NS/SVC)', PluginExit.Usage);
  const parts = arg.split('/');
  if (parts.length > 2 || parts.some((p) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p))) {
    throw new PluginError(`${arg}: expected SVC or NS/SVC (DNS labels)`, PluginExit.Usage);
  }
  if (parts.length === 2) return { namespace: parts[0]!, name: parts[1]! };
  if (!namespace)
    throw new PluginError('-A is not supported: give SVC -n NS or NS/SVC', PluginExit.Usage);
  return { namespace, name: arg };
}

export function portArg(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535))
    throw new PluginError(`${flag} ${text}: expected a port number (1-65535)`, PluginExit.Usage);
  return n;
}

export function namespaceArg(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) || text.length > 63)
    throw new PluginError(`${flag} ${text}: expected a namespace name`, PluginExit.Usage);
  return text;
}

export async function runRoutes(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(ROUTES_USAGE);
    return PluginExit.Ok;
  }
  const { global: g, values, positionals } = parseOptions(args, FLAGS, ['table', 'json', 'yaml']);
  const target = serviceArg(positionals, g.namespace);
  const port = portArg(values.port as string | undefined, '--port');
  const caller = namespaceArg(values['from-namespace'] as string | undefined, '--from-namespace');
  const service = await readService(g.kc, target.namespace, target.name, g.server);
  if (port !== undefined) requirePort(service, port);
  // A caller's view needs two namespaces; the producer view lists every namespace
  // to show the consumer routes that exist elsewhere.
  const listed = caller
    ? await listRoutes(g.kc, [...new Set([target.namespace, caller])], g.server)
    : await listRoutes(g.kc, 'all', g.server, [target.namespace]);
  const view = routesView({
    service,
    routes: listed.routes,
    callerNamespace: caller,
    port,
    notes: listed.notes,
  });
  const tp = await listTrafficPolicies(g.kc, target.namespace, g.server);
  const traffic = trafficView(target, tp.policies);
  const all = { ...view, notes: [...view.notes, ...tp.notes], traffic };
  process.stdout.write(
    g.output === 'json' || g.output === 'yaml'
      ? structured(g.output, all)
      : `${renderRoutes(all)}\n${renderTraffic(`${target.namespace}/${target.name}`, traffic)}`,
  );
  return routesHealthy(view) ? PluginExit.Ok : PluginExit.Findings;
}
