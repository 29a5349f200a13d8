// The prometheus.io/* annotations that point Prometheus's usual pod scrape job
// (kubernetes_sd_configs role pod, relabelled on scrape/port/path) at the sidecar's
// :15020/stats/prometheus. They are one unit: a pod that sets any prometheus.io/*
// annotation already has a scrape configuration of its own (usually the app's
// metrics port) and keeps it untouched. Filling in the missing ones would mix the
// two, e.g. the app's port with the sidecar's path, and scrape nothing. Istio
// instead rewrites them to the sidecar and merges the app's metrics into the
// sidecar's output; weft does not merge, so it leaves the pod's own alone.
import { Ports } from '../src/capture/capture-spec.js';
import type { PROMETHEUS_ANNOTATIONS } from './injection-status.js';

export const PROMETHEUS_PREFIX = 'prometheus.io/';

export const SIDECAR_SCRAPE: Readonly<Record<(typeof PROMETHEUS_ANNOTATIONS)[number], string>> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(Ports.Health),
  'prometheus.io/path': '/stats/prometheus',
};

/** The scrape annotations weft adds: all three, or none if the pod has any of its own. */
export function scrapeAnnotations(
  existing: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const own = Object.keys(existing ?? {}).some((k) => k.startsWith(PROMETHEUS_PREFIX));
  return own ? {} : SIDECAR_SCRAPE;
}
