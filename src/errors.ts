// Typed errors with stable codes. Each code maps to one HTTP status here, in one
// place, so every server answers the same failure the same way.

export const ErrorCode = {
  BadRequest: 'bad_request',
  BodyTooLarge: 'body_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  CsrMalformed: 'csr_malformed',
  CsrSignatureInvalid: 'csr_signature_invalid',
  CsrKeyUnsupported: 'csr_key_unsupported',
  IdentityMismatch: 'identity_mismatch',
  TokenMissing: 'token_missing',
  TokenInvalid: 'token_invalid',
  NotAServiceAccount: 'not_a_service_account',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Unavailable: 'unavailable',
  RateLimited: 'rate_limited',
  IssuerUnusable: 'issuer_unusable',
  ConfigInvalid: 'config_invalid',
  Internal: 'internal',
  NoRoute: 'no_route',
  NoHealthyUpstream: 'no_healthy_upstream',
  UpstreamConnectFailed: 'upstream_connect_failed',
  UpstreamReset: 'upstream_reset',
  UpstreamTimeout: 'upstream_timeout',
  /** A TrafficPolicy's connection-pool limit refused the request (Envoy's circuit breaker, UO). */
  UpstreamOverflow: 'upstream_overflow',
  /** A route rule with no backend to send to (none, every weight 0, or not found): the spec's 500. */
  RouteBackendUnusable: 'route_backend_unusable',
  /** A service's endpoints, subscribed on first use, did not arrive in time (fail closed). */
  EndpointsPending: 'endpoints_pending',
  /** An AuthorizationPolicy denied the request (the sidecar answers as Envoy's RBAC filter). */
  AuthzDenied: 'authz_denied',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  csr_malformed: 400,
  csr_signature_invalid: 400,
  csr_key_unsupported: 400,
  identity_mismatch: 403,
  token_missing: 401,
  token_invalid: 401,
  not_a_service_account: 403,
  forbidden: 403,
  not_found: 404,
  unavailable: 503,
  rate_limited: 429,
  issuer_unusable: 503,
  config_invalid: 500,
  internal: 500,
  no_route: 404,
  no_healthy_upstream: 503,
  upstream_connect_failed: 503,
  upstream_reset: 503,
  upstream_timeout: 504,
  upstream_overflow: 503,
  route_backend_unusable: 500,
  endpoints_pending: 503,
  authz_denied: 403,
};

export class WeftError extends Error {
  readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (503s). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeftError';
    this.code = code;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get status(): number {
    return STATUS[this.code];
  }
}

/** Any thrown value as a WeftError: unknown failures become `internal` without leaking detail. */
export function asWeftError(err: unknown): WeftError {
  if (err instanceof WeftError) return err;
  return new WeftError(ErrorCode.Internal, 'internal error', { cause: err });
}
