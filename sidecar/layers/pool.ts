// The connection-pool limits of the Service's TrafficPolicy, per try (each retry
// asks again, as each of Envoy's upstream requests meets the circuit breakers):
// pool-admission.ts admits, queues or refuses with 503 UO. Below retry, so a
// refused try is not retried; above balance, so the limit is per Service.
import type { Layer } from '../exchange.js';
import { isHttp2Request } from '../exchange.js';
import { admit } from '../pool-admission.js';

export const pool: Layer = (next) => async (ex) => {
  const t = ex.traffic;
  if (!t || ex.upgrade) return next(ex);
  const release = await admit(t, isHttp2Request(ex.req), ex.upstreamTry?.signal);
  try {
    await next(ex);
  } finally {
    release();
  }
};
