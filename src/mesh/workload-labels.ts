// The labels Istio's metrics name a workload by, read from its pod's labels with
// Istio's precedence (pkg/config/labels CanonicalService): canonical name from
// service.istio.io/canonical-name, then app.kubernetes.io/name, then app, then the
// workload's name; canonical revision from service.istio.io/canonical-revision, then
// app.kubernetes.io/version, then version, then "latest". `app` and `version` are
// the plain labels, falling back to the recommended app.kubernetes.io ones.
import { z } from 'zod';

// Label values are ≤ 63, but the canonical service falls back to a workload name (≤ 253).
const value = z.string().max(253);

export const WorkloadLabels = z.strictObject({
  app: value.optional(),
  version: value.optional(),
  canonicalService: value,
  canonicalRevision: value,
});
export type WorkloadLabels = z.infer<typeof WorkloadLabels>;

const first = (labels: Readonly<Record<string, string>>, ...keys: string[]): string | undefined =>
  keys.map((k) => labels[k]).find((v) => v !== undefined && v !== '');

export function workloadLabels(
  labels: Readonly<Record<string, string>>,
  workload: string,
): WorkloadLabels {
  const app = first(labels, 'app', 'app.kubernetes.io/name');
  const version = first(labels, 'version', 'app.kubernetes.io/version');
  return {
    ...(app !== undefined ? { app } : {}),
    ...(version !== undefined ? { version } : {}),
    canonicalService:
      first(labels, 'service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app') ?? workload,
    canonicalRevision:
      first(
        labels,
        'service.istio.io/canonical-revision',
        'app.kubernetes.io/version',
        'version',
      ) ?? 'latest',
  };
}
