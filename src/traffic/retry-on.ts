// Istio's retryOn: Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on names,
// comma separated, with bare HTTP status codes allowed (istiod moves them into
// retriable_status_codes and adds "retriable-status-codes"). Parsing names every
// token it does not know; shouldRetry is the decision for one failed try, as
// Envoy's router makes it (router/retry_state_impl.cc).

/** The names weft implements (Envoy's, minus rate-limit and HTTP/3 ones). */
export const RETRY_CONDITIONS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;
export type RetryCondition = (typeof RETRY_CONDITIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(RETRY_CONDITIONS);

export interface RetryOn {
  readonly conditions: ReadonlySet<RetryCondition>;
  /** retriable-status-codes: only these (Istio: the numbers written in retryOn). */
  readonly statusCodes: readonly number[];
}

export type ParsedRetryOn = { ok: true; retryOn: RetryOn } | { ok: false; reason: string };

export function parseRetryOn(text: string): ParsedRetryOn {
  const conditions = new Set<RetryCondition>();
  const codes: number[] = [];
  for (const raw of text.split(',')) {
    const token = raw.trim();
    if (/^[0-9]{3}$/.test(token) && Number(token) >= 100 && Number(token) <= 599) {
      codes.push(Number(token));
    } else if (KNOWN.has(token)) {
      conditions.add(token as RetryCondition);
    } else {
      return {
        ok: false,
        reason: `"${token}" is not a retry condition weft knows (${RETRY_CONDITIONS.join(', ')}, or an HTTP status code 100-599)`,
      };
    }
  }
  if (codes.length > 0) conditions.add('retriable-status-codes');
  return { ok: true, retryOn: { conditions, statusCodes: [...new Set(codes)] } };
}

/** How one try ended, as the retry decision sees it. */
export type TryOutcome =
  /** No connection (refused, TLS or identity failure, connect timeout). */
  | { readonly type: 'connect-failure' }
  /** The peer reset the stream; `sent` says whether any of the request had gone. */
  | { readonly type: 'reset'; readonly sent: boolean }
  /** HTTP/2 REFUSED_STREAM: the server did not process it. */
  | { readonly type: 'refused-stream' }
  /** The per-try timeout fired. */
  | { readonly type: 'timeout' }
  | { readonly type: 'response'; readonly status: number; readonly grpcStatus?: number };

const GRPC: Partial<Record<number, RetryCondition>> = {
  1: 'cancelled',
  4: 'deadline-exceeded',
  8: 'resource-exhausted',
  13: 'internal',
  14: 'unavailable',
};

function retriableResponse(on: RetryOn, status: number, grpcStatus?: number): boolean {
  const c = on.conditions;
  if (grpcStatus !== undefined) {
    const name = GRPC[grpcStatus];
    if (name && c.has(name)) return true;
  }
  if (c.has('5xx') && status >= 500 && status <= 599) return true;
  if (c.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
  if (c.has('retriable-4xx') && status === 409) return true;
  return c.has('retriable-status-codes') && on.statusCodes.includes(status);
}

/** Would Envoy retry a try that ended like this (attempts and budget aside)? */
export function shouldRetry(on: RetryOn, o: TryOutcome): boolean {
  const c = on.conditions;
  // 5xx and gateway-error count a failure to get any response as a 5xx (Envoy docs).
  const anyFailure = c.has('5xx') || c.has('gateway-error');
  switch (o.type) {
    case 'connect-failure':
      return (
        anyFailure || c.has('connect-failure') || c.has('reset') || c.has('reset-before-request')
      );
    case 'refused-stream':
      return anyFailure || c.has('refused-stream') || c.has('reset');
    case 'reset':
      return anyFailure || c.has('reset') || (!o.sent && c.has('reset-before-request'));
    case 'timeout':
      return anyFailure;
    case 'response':
      return retriableResponse(on, o.status, o.grpcStatus);
  }
}
