// The webhook's metrics, on the registry it is given. Label values are bounded:
// result is one of four words.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export interface WebhookMetrics {
  readonly admissions: Counter<'result'>;
  readonly duration: Histogram<'result'>;
  readonly badRequests: Counter;
}

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  return {
    admissions: new Counter({
      name: 'weft_webhook_admissions_total',
      help: 'Admission reviews answered, by result (injected, skipped, not-a-pod, refused).',
      labelNames: ['result'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'weft_webhook_admission_duration_seconds',
      help: 'Time to answer an admission review.',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    badRequests: new Counter({
      name: 'weft_webhook_bad_requests_total',
      help: 'Requests to /inject that were not a valid AdmissionReview.',
      registers: [registry],
    }),
  };
}
