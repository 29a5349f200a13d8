// The CA's metrics, on the registry it is given.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export interface CaMetrics {
  readonly issued: Counter<'path'>;
  readonly refused: Counter<'path' | 'code'>;
  readonly duration: Histogram<'path'>;
  readonly rootExpiry: Gauge;
  readonly issuerExpiry: Gauge;
  readonly recordsDropped: Counter;
  readonly issuerRenewals: Counter;
  readonly issuerRenewalDue: Gauge;
}

export function createCaMetrics(registry: Registry): CaMetrics {
  return {
    issued: new Counter({
      name: 'weft_ca_certificates_issued_total',
      help: 'Workload certificates issued, by path (api: the CA endpoint, csr: the Kubernetes CSR API).',
      labelNames: ['path'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'weft_ca_requests_refused_total',
      help: 'Certificate requests refused, by path and error code (rate_limited: the per-identity limit).',
      labelNames: ['path', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'weft_ca_issuance_duration_seconds',
      help: 'Time to answer a certificate request, token review included.',
      labelNames: ['path'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rootExpiry: new Gauge({
      name: 'weft_ca_root_expiry_timestamp_seconds',
      help: 'Expiry of the root the current issuer chains to.',
      registers: [registry],
    }),
    issuerExpiry: new Gauge({
      name: 'weft_ca_issuer_expiry_timestamp_seconds',
      help: 'Expiry of the certificate that signs workloads.',
      registers: [registry],
    }),
    recordsDropped: new Counter({
      name: 'weft_ca_issuance_records_dropped_total',
      help: 'Issuance records never written: the queue was full (oldest dropped) or shutdown came first.',
      registers: [registry],
    }),
    issuerRenewals: new Counter({
      name: 'weft_ca_issuer_renewals_total',
      help: 'Intermediates this CA renewed under the online root.',
      registers: [registry],
    }),
    issuerRenewalDue: new Gauge({
      name: 'weft_ca_issuer_renewal_due',
      help: '1 once the intermediate is due for renewal (offline root: run weft ca renew-issuer).',
      registers: [registry],
    }),
  };
}
