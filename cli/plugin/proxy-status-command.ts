// `kubectl weft proxy-status`: every sidecar's stream, from every control-plane replica
// (each holds only its own streams, so all are asked, as istioctl does), and the
// meshed pods that have none. A replica that cannot be read fails the command: its
// sidecars would otherwise show as NOT CONNECTED.
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { hostPort } from '../../src/config/fields.js';
import { DISCOVERY_DEBUG_PORT, SYNCZ_PATH, SynczReport } from '../../src/debug/syncz.js';
import { WEFT_NAMESPACE } from '../../src/names.js';
import { debugGet } from './debug-get.js';
import { PluginError, PluginExit, explain } from './errors.js';
import { parseOptions } from './options.js';
import type { GlobalOptions } from './options.js';
import { structured } from './output.js';
import { proxyRows, proxyStatusDocument, proxyStatusTable } from './proxy-status-model.js';
import type { Tunnel } from './tunnel.js';
import { direct, portForward } from './tunnel.js';

export const PROXY_STATUS_USAGE = `Usage: kubectl weft proxy-status [-n NS | -A] [-o table|json|yaml] [--control-plane HOST:PORT[,HOST:PORT]]

One row per sidecar: the control-plane replica it streams from, whether it is in sync
(SYNCED, STALE: an update awaits its answer, NACKED: it refused the last one and keeps
its last good view), the view version it applied, its last ACK and NACK (with the
reason), and how long its stream has been open. Meshed pods with no stream to any
replica are NOT CONNECTED. All namespaces unless -n is given.

Each replica's /debug/syncz is read through the API server's port-forward to its
loopback port ${DISCOVERY_DEBUG_PORT} (RBAC: create pods/portforward in ${WEFT_NAMESPACE}). --control-plane
reads a control plane running outside the cluster instead (its --discovery-debug-listen).
Exit 3, with the reason, when a replica cannot be read.
`;

export const CONTROL_PLANE_SELECTOR = 'app.kubernetes.io/name=weft-control-plane';

interface Replica {
  readonly label: string;
  open(): Promise<Tunnel>;
}

const running = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;

async function replicas(g: GlobalOptions, addresses: string | undefined): Promise<Replica[]> {
  if (addresses !== undefined) {
    return addresses.split(',').map((a) => {
      const parsed = hostPort.safeParse(a);
      if (!parsed.success)
        throw new PluginError(`--control-plane ${a}: expected HOST:PORT`, PluginExit.Usage);
      return { label: a, open: () => Promise.resolve(direct(parsed.data)) };
    });
  }
  const core = g.kc.makeApiClient(CoreV1Api);
  const pods = await core
    .listNamespacedPod({ namespace: WEFT_NAMESPACE, labelSelector: CONTROL_PLANE_SELECTOR })
    .catch((err: unknown) => {
      throw explain(err, `listing control-plane pods in ${WEFT_NAMESPACE}`, g.server);
    });
  const live = pods.items.filter(running);
  if (!live.length) {
    throw new PluginError(
      `control plane unreachable: no running pod in ${WEFT_NAMESPACE} with ${CONTROL_PLANE_SELECTOR} (one run outside the cluster: pass --control-plane HOST:PORT)`,
      PluginExit.Unreachable,
    );
  }
  return live.map((p) => {
    const name = p.metadata!.name!;
    return {
      label: `control-plane pod ${name}`,
      open: () => portForward(g.kc, WEFT_NAMESPACE, name, DISCOVERY_DEBUG_PORT),
    };
  });
}

async function readReplica(r: Replica): Promise<SynczReport> {
  const tunnel = await r.open();
  try {
    return await debugGet(tunnel, SYNCZ_PATH, SynczReport, r.label);
  } finally {
    await tunnel.close();
  }
}

/** namespace/name of every meshed pod (weft.dev/status) still running or starting. */
async function meshedPods(g: GlobalOptions, namespace: string | undefined): Promise<string[]> {
  const core = g.kc.makeApiClient(CoreV1Api);
  const list = await (
    namespace ? core.listNamespacedPod({ namespace }) : core.listPodForAllNamespaces()
  ).catch((err: unknown) => {
    throw explain(err, 'listing pods', g.server);
  });
  return list.items
    .filter((p) => p.metadata?.annotations?.['weft.dev/status'] !== undefined)
    .filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''))
    .map((p) => `${p.metadata!.namespace}/${p.metadata!.name}`);
}

export async function runProxyStatus(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(PROXY_STATUS_USAGE);
    return PluginExit.Ok;
  }
  const { global: g, values } = parseOptions(args, { 'control-plane': { type: 'string' } }, [
    'table',
    'json',
    'yaml',
  ]);
  // All namespaces unless one is named, as istioctl proxy-status.
  const namespace = typeof values.namespace === 'string' ? values.namespace : undefined;
  const targets = await replicas(g, values['control-plane'] as string | undefined);
  const [reports, meshed] = await Promise.all([
    Promise.all(targets.map(readReplica)),
    meshedPods(g, namespace),
  ]);
  const rows = proxyRows(reports, meshed, namespace);
  if (g.output === 'json' || g.output === 'yaml') {
    process.stdout.write(structured(g.output, proxyStatusDocument(rows)));
    return PluginExit.Ok;
  }
  process.stdout.write(
    rows.length
      ? proxyStatusTable(rows, new Date())
      : `No sidecars${namespace ? ` in namespace ${namespace}` : ''}.\n`,
  );
  return PluginExit.Ok;
}
