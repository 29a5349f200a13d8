// Istio's standard metrics with Istio's names, labels and buckets, so Istio's
// Grafana dashboards and Kiali read weft unchanged. Label values come from the
// mesh config and verified identities only (never from request headers), so their
// number is bounded by the mesh's size; response codes are bounded by HTTP.
import type { Registry } from 'prom-client';
import type { CounterCell, HistogramCell } from './metric-cells.js';
import { CellCounter, CellHistogram } from './metric-cells.js';

const PEER_LABELS = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_service_name',
  'destination_service_namespace',
  'destination_cluster',
  'connection_security_policy',
] as const;
type PeerLabel = (typeof PEER_LABELS)[number];
/** Who talked to whom: fixed for a connection, so it is built once per connection. */
export type Peers = Readonly<Record<PeerLabel, string>>;

// Istio's defaults (stats filter): milliseconds, and bytes in decades.
const DURATION_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];
const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

export interface RequestOutcome {
  readonly protocol: 'http' | 'grpc';
  readonly code: number;
  readonly grpcStatus: string;
  readonly flags: string;
  readonly durationMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

interface RequestChildren {
  total: CounterCell;
  duration: HistogramCell;
  requestBytes: HistogramCell;
  responseBytes: HistogramCell;
}

interface TcpChildren {
  sent: CounterCell;
  received: CounterCell;
  opened: CounterCell;
  closed: CounterCell;
}

export class IstioMetrics {
  private readonly requests;
  private readonly tcp;
  // A label set's cells, found by a joined key built once per peer (see peerKey).
  private readonly requestChildren = new WeakMap<Peers, Map<string, RequestChildren>>();
  private readonly tcpChildren = new Map<string, TcpChildren>();

  constructor(registry: Registry) {
    const histogram = (name: string, help: string, buckets: readonly number[]): CellHistogram =>
      new CellHistogram(name, help, buckets, registry);
    this.requests = {
      total: new CellCounter('istio_requests_total', 'Requests.', registry),
      duration: histogram(
        'istio_request_duration_milliseconds',
        'Request duration in milliseconds.',
        DURATION_BUCKETS_MS,
      ),
      requestBytes: histogram(
        'istio_request_bytes',
        'Request sizes (headers and body) in bytes.',
        SIZE_BUCKETS,
      ),
      responseBytes: histogram(
        'istio_response_bytes',
        'Response sizes (headers and body) in bytes.',
        SIZE_BUCKETS,
      ),
    };
    const counter = (name: string, help: string): CellCounter =>
      new CellCounter(name, help, registry);
    this.tcp = {
      sent: counter('istio_tcp_sent_bytes_total', 'Bytes sent during TCP connections.'),
      received: counter('istio_tcp_received_bytes_total', 'Bytes received during TCP connections.'),
      opened: counter('istio_tcp_connections_opened_total', 'TCP connections opened.'),
      closed: counter('istio_tcp_connections_closed_total', 'TCP connections closed.'),
    };
  }

  request(peers: Peers, o: RequestOutcome): void {
    // Per peer, the outcomes seen: a short key per request, not the 21 peer labels joined.
    let outcomes = this.requestChildren.get(peers);
    if (!outcomes) {
      outcomes = new Map();
      this.requestChildren.set(peers, outcomes);
    }
    const outcome = `${o.protocol}|${o.code}|${o.grpcStatus}|${o.flags}`;
    let c = outcomes.get(outcome);
    if (!c) {
      c = this.requestCells(peers, o);
      outcomes.set(outcome, c);
    }
    c.total.inc();
    c.duration.observe(o.durationMs);
    c.requestBytes.observe(o.requestBytes);
    c.responseBytes.observe(o.responseBytes);
  }

  private requestCells(peers: Peers, o: RequestOutcome): RequestChildren {
    const code = String(o.code);
    const k = `${peerKey(peers)}|${o.protocol}|${code}|${o.grpcStatus}|${o.flags}`;
    const labels = {
      ...peers,
      request_protocol: o.protocol,
      response_code: code,
      grpc_response_status: o.grpcStatus,
      response_flags: o.flags,
    };
    return {
      total: this.requests.total.cell(k, labels),
      duration: this.requests.duration.cell(k, labels),
      requestBytes: this.requests.requestBytes.cell(k, labels),
      responseBytes: this.requests.responseBytes.cell(k, labels),
    };
  }

  /** Counters for one TCP connection; call `opened` once and `closed` once. */
  tcpConnection(peers: Peers, flags = '-'): TcpChildren {
    const k = `${peerKey(peers)}|${flags}`;
    let c = this.tcpChildren.get(k);
    if (!c) {
      const labels = { ...peers, response_flags: flags };
      c = {
        sent: this.tcp.sent.cell(k, labels),
        received: this.tcp.received.cell(k, labels),
        opened: this.tcp.opened.cell(k, labels),
        closed: this.tcp.closed.cell(k, labels),
      };
      this.tcpChildren.set(k, c);
    }
    return c;
  }
}

const peerKeys = new WeakMap<Peers, string>();
function peerKey(peers: Peers): string {
  let k = peerKeys.get(peers);
  if (k === undefined) {
    k = PEER_LABELS.map((l) => peers[l]).join('|');
    peerKeys.set(peers, k);
  }
  return k;
}

export const UNKNOWN = 'unknown';
