// Istio's standard metrics with Istio's names, labels and buckets, so Istio's
// Grafana dashboards and Kiali read weft unchanged. Label values come from the
// mesh config and verified identities only (never from request headers), so their
// number is bounded by the mesh's size; response codes are bounded by HTTP.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

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
const REQUEST_LABELS = [
  ...PEER_LABELS,
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
] as const;
const TCP_LABELS = [...PEER_LABELS, 'response_flags'] as const;

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
  total: Counter.Internal;
  duration: Histogram.Internal<string>;
  requestBytes: Histogram.Internal<string>;
  responseBytes: Histogram.Internal<string>;
}

interface TcpChildren {
  sent: Counter.Internal;
  received: Counter.Internal;
  opened: Counter.Internal;
  closed: Counter.Internal;
}

export class IstioMetrics {
  private readonly requests;
  private readonly tcp;
  // prom-client hashes a label object on every call; a joined key is cheaper.
  private readonly requestChildren = new Map<string, RequestChildren>();
  private readonly tcpChildren = new Map<string, TcpChildren>();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = [...REQUEST_LABELS];
    const tcpLabels = [...TCP_LABELS];
    this.requests = {
      total: new Counter({
        name: 'istio_requests_total',
        help: 'Requests.',
        labelNames,
        registers,
      }),
      duration: new Histogram({
        name: 'istio_request_duration_milliseconds',
        help: 'Request duration in milliseconds.',
        buckets: DURATION_BUCKETS_MS,
        labelNames,
        registers,
      }),
      requestBytes: new Histogram({
        name: 'istio_request_bytes',
        help: 'Request sizes (headers and body) in bytes.',
        buckets: SIZE_BUCKETS,
        labelNames,
        registers,
      }),
      responseBytes: new Histogram({
        name: 'istio_response_bytes',
        help: 'Response sizes (headers and body) in bytes.',
        buckets: SIZE_BUCKETS,
        labelNames,
        registers,
      }),
    };
    const counter = (name: string, help: string): Counter<string> =>
      new Counter({ name, help, labelNames: tcpLabels, registers });
    this.tcp = {
      sent: counter('istio_tcp_sent_bytes_total', 'Bytes sent during TCP connections.'),
      received: counter('istio_tcp_received_bytes_total', 'Bytes received during TCP connections.'),
      opened: counter('istio_tcp_connections_opened_total', 'TCP connections opened.'),
      closed: counter('istio_tcp_connections_closed_total', 'TCP connections closed.'),
    };
  }

  request(peers: Peers, o: RequestOutcome): void {
    const code = String(o.code);
    const k = `${peerKey(peers)}|${o.protocol}|${code}|${o.grpcStatus}|${o.flags}`;
    let c = this.requestChildren.get(k);
    if (!c) {
      const labels = {
        ...peers,
        request_protocol: o.protocol,
        response_code: code,
        grpc_response_status: o.grpcStatus,
        response_flags: o.flags,
      };
      c = {
        total: this.requests.total.labels(labels),
        duration: this.requests.duration.labels(labels),
        requestBytes: this.requests.requestBytes.labels(labels),
        responseBytes: this.requests.responseBytes.labels(labels),
      };
      this.requestChildren.set(k, c);
    }
    c.total.inc();
    c.duration.observe(o.durationMs);
    c.requestBytes.observe(o.requestBytes);
    c.responseBytes.observe(o.responseBytes);
  }

  /** Counters for one TCP connection; call `opened` once and `closed` once. */
  tcpConnection(peers: Peers, flags = '-'): TcpChildren {
    const k = `${peerKey(peers)}|${flags}`;
    let c = this.tcpChildren.get(k);
    if (!c) {
      const labels = { ...peers, response_flags: flags };
      c = {
        sent: this.tcp.sent.labels(labels),
        received: this.tcp.received.labels(labels),
        opened: this.tcp.opened.labels(labels),
        closed: this.tcp.closed.labels(labels),
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
