// `kubectl weft proxy-status`, pure: the replicas' /debug/syncz reports and the meshed
// pods in, one row per sidecar out (a pod with no stream on any replica is NOT
// CONNECTED), then the table. No I/O here, so every column is unit-tested.
import type { SyncStream, SynczReport } from '../../src/debug/syncz.js';
import { age } from './age.js';
import { table } from './output.js';

/**
 * SYNCED: the sidecar ACKed the last message sent; STALE: a message awaits its answer;
 * NACKED: it refused the last one and serves the view it kept; NOT CONNECTED: a meshed
 * pod with no stream to any replica.
 */
export type SyncState = 'SYNCED' | 'STALE' | 'NACKED' | 'NOT CONNECTED';

export interface ProxyStatusRow {
  /** namespace/name */
  readonly pod: string;
  readonly state: SyncState;
  readonly controlPlane?: string;
  readonly stream?: SyncStream;
}

/** A meshed pod (it carries weft.dev/status), as namespace/name. */
export type MeshedPod = string;

function stateOf(s: SyncStream): SyncState {
  if (s.pending) return 'STALE';
  const nackedLast = s.nacked && (!s.acked || s.nacked.at > s.acked.at);
  return nackedLast ? 'NACKED' : 'SYNCED';
}

const inScope = (pod: string, namespace: string | undefined): boolean =>
  namespace === undefined || pod.startsWith(`${namespace}/`);

export function proxyRows(
  reports: readonly SynczReport[],
  meshed: readonly MeshedPod[],
  namespace: string | undefined,
): ProxyStatusRow[] {
  const rows: ProxyStatusRow[] = [];
  for (const r of reports) {
    for (const s of r.streams) {
      if (inScope(s.pod, namespace))
        rows.push({ pod: s.pod, state: stateOf(s), controlPlane: r.controlPlane, stream: s });
    }
  }
  const connected = new Set(rows.map((r) => r.pod));
  for (const pod of meshed) {
    if (inScope(pod, namespace) && !connected.has(pod)) rows.push({ pod, state: 'NOT CONNECTED' });
  }
  const order = (r: ProxyStatusRow): string => `${r.pod} ${r.controlPlane ?? ''}`;
  return rows.sort((a, b) => order(a).localeCompare(order(b)));
}

/** name.namespace, as istioctl names a proxy. */
const proxyName = (pod: string): string => {
  const [ns, name] = pod.split('/');
  return `${name}.${ns}`;
};

const shortVersion = (v: string): string => (v.length > 12 ? v.slice(0, 12) : v || '-');
const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export const PROXY_STATUS_HEADERS = [
  'NAME',
  'CONTROL PLANE',
  'STATUS',
  'VERSION',
  'LAST ACK',
  'LAST NACK',
  'AGE',
];

export function proxyCells(r: ProxyStatusRow, now: Date): string[] {
  const s = r.stream;
  if (!s) return [proxyName(r.pod), '-', r.state, '-', '-', '-', '-'];
  return [
    proxyName(r.pod),
    r.controlPlane ?? '-',
    r.state,
    s.acked ? shortVersion(s.acked.version) : '-',
    s.acked ? `${age(s.acked.at, now)} ago` : 'never',
    s.nacked ? `${age(s.nacked.at, now)} ago: ${oneLine(s.nacked.error, 60)}` : '-',
    age(s.connectedAt, now),
  ];
}

export function proxyStatusTable(rows: readonly ProxyStatusRow[], now: Date): string {
  return table(
    PROXY_STATUS_HEADERS,
    rows.map((r) => proxyCells(r, now)),
  );
}

/** -o json|yaml: every field of every stream, and the state derived from them. */
export function proxyStatusDocument(rows: readonly ProxyStatusRow[]): Record<string, unknown> {
  return {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'ProxyStatus',
    items: rows.map((r) => ({
      pod: r.pod,
      state: r.state,
      ...(r.controlPlane ? { controlPlane: r.controlPlane } : {}),
      ...(r.stream ? { stream: r.stream } : {}),
    })),
  };
}
