// `kubectl weft config POD`: the view a sidecar holds (services, endpoints with their
// identities, inbound mode, policies), read from its admin endpoint's /debug/view.
// The admin port listens on the pod's loopback only, so it is reached through the
// API server's port-forward (RBAC: create pods/portforward in the pod's namespace).
import { CoreV1Api } from '@kubernetes/client-node';
import { hostPort } from '../../src/config/fields.js';
import { SIDECAR_VIEW_PATH, SidecarView } from '../../src/debug/sidecar-view.js';
import { Ports } from '../../src/capture/capture-spec.js';
import { configSummary } from './config-render.js';
import { debugGet } from './debug-get.js';
import { PluginError, PluginExit, explain } from './errors.js';
import { parseOptions } from './options.js';
import type { GlobalOptions } from './options.js';
import { structured } from './output.js';
import type { Tunnel } from './tunnel.js';
import { direct, portForward } from './tunnel.js';

export const CONFIG_USAGE = `Usage: kubectl weft config POD [-n NS] [-o table|json|yaml] [--admin-address HOST:PORT]

The view POD's sidecar holds: where it came from (discovery stream, version, last
refusal), its identity (SPIFFE ID, serial, expiry: no key, no certificate body),
the inbound mTLS mode, the services with their endpoints and the identity each must
present, and the authorization policies that select it. -o json|yaml prints it all.

Read from the sidecar's admin endpoint (${SIDECAR_VIEW_PATH} on its loopback port
${Ports.Admin}) through the API server's port-forward (RBAC: create pods/portforward).
--admin-address reads a sidecar run outside a cluster instead.
`;

async function requireMeshed(g: GlobalOptions, namespace: string, name: string): Promise<void> {
  const core = g.kc.makeApiClient(CoreV1Api);
  const pod = await core.readNamespacedPod({ namespace, name }).catch((err: unknown) => {
    throw explain(err, `reading pod ${namespace}/${name}`, g.server);
  });
  if (pod.metadata?.annotations?.['weft.dev/status'] === undefined) {
    throw new PluginError(
      `pod ${namespace}/${name} has no weft sidecar (no weft.dev/status annotation)`,
      PluginExit.NoWeft,
    );
  }
}

function target(
  g: GlobalOptions,
  namespace: string,
  name: string,
  address: unknown,
): Promise<Tunnel> {
  if (typeof address !== 'string') return portForward(g.kc, namespace, name, Ports.Admin);
  const parsed = hostPort.safeParse(address);
  if (!parsed.success)
    throw new PluginError(`--admin-address ${address}: expected HOST:PORT`, PluginExit.Usage);
  return Promise.resolve(direct(parsed.data));
}

export async function runConfig(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CONFIG_USAGE);
    return PluginExit.Ok;
  }
  const {
    global: g,
    values,
    positionals,
  } = parseOptions(args, { 'admin-address': { type: 'string' } }, ['table', 'json', 'yaml']);
  const [name, ...more] = positionals;
  if (!name || more.length) throw new PluginError('expected one POD', PluginExit.Usage);
  const namespace = g.namespace ?? 'default';
  await requireMeshed(g, namespace, name);
  const tunnel = await target(g, namespace, name, values['admin-address']);
  let view: SidecarView;
  try {
    view = await debugGet(
      tunnel,
      SIDECAR_VIEW_PATH,
      SidecarView,
      `the sidecar of ${namespace}/${name}`,
    );
  } finally {
    await tunnel.close();
  }
  process.stdout.write(
    g.output === 'json' || g.output === 'yaml'
      ? structured(g.output, view)
      : configSummary(`${namespace}/${name}`, view, new Date()),
  );
  return PluginExit.Ok;
}
