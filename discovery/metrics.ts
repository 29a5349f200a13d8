// Discovery's metrics, on the registry it is given.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export interface DiscoveryMetrics {
  readonly connected: Gauge;
  readonly refused: Counter<'reason'>;
  readonly closed: Counter<'reason'>;
  readonly pushes: Counter<'type'>;
  readonly pushBytes: Counter<'type'>;
  readonly acks: Counter;
  readonly nacks: Counter;
  readonly subscriptionsRefused: Counter;
  readonly events: Counter<'kind'>;
  readonly resources: Gauge;
  readonly buildSeconds: Histogram;
  readonly informerHealthy: Gauge<'kind'>;
}

export function createDiscoveryMetrics(registry: Registry): DiscoveryMetrics {
  const registers = [registry];
  return {
    connected: new Gauge({
      name: 'weft_discovery_connected_sidecars',
      help: 'Sidecars with an open discovery stream to this replica.',
      registers,
    }),
    refused: new Counter({
      name: 'weft_discovery_streams_refused_total',
      help: 'Discovery streams refused, by reason (identity_mismatch, no_pod, bad_request…).',
      labelNames: ['reason'],
      registers,
    }),
    closed: new Counter({
      name: 'weft_discovery_streams_closed_total',
      help: 'Open streams the server closed, by reason (replaced, pod_gone, ping_timeout).',
      labelNames: ['reason'],
      registers,
    }),
    pushes: new Counter({
      name: 'weft_discovery_pushes_total',
      help: 'Messages sent to sidecars, by type (snapshot, delta).',
      labelNames: ['type'],
      registers,
    }),
    pushBytes: new Counter({
      name: 'weft_discovery_push_bytes_total',
      help: 'Bytes of messages sent to sidecars, by type.',
      labelNames: ['type'],
      registers,
    }),
    acks: new Counter({
      name: 'weft_discovery_acks_total',
      help: 'Messages sidecars applied.',
      registers,
    }),
    nacks: new Counter({
      name: 'weft_discovery_nacks_total',
      help: 'Messages sidecars refused (they keep their last good view).',
      registers,
    }),
    subscriptionsRefused: new Counter({
      name: 'weft_discovery_subscriptions_refused_total',
      help: 'Names a scoped sidecar subscribed to past the cap, answered as not found (the stream stays open).',
      registers,
    }),
    events: new Counter({
      name: 'weft_discovery_events_total',
      help: 'Watch events received, by kind.',
      labelNames: ['kind'],
      registers,
    }),
    resources: new Gauge({
      name: 'weft_discovery_resources',
      help: 'Shared resources (catalog entries and endpoint sets) in the current view.',
      registers,
    }),
    buildSeconds: new Histogram({
      name: 'weft_discovery_build_duration_seconds',
      help: 'Time to rebuild the shared view after a debounced change.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    informerHealthy: new Gauge({
      name: 'weft_discovery_informer_healthy',
      help: 'Whether each kind is watched (1), or its watch failed and no relist has succeeded since (0; the last view is still served).',
      labelNames: ['kind'],
      registers,
    }),
  };
}
