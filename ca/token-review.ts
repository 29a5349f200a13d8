// Turns a bearer token into a workload identity through the API server's
// TokenReview, for weft's audience. Successful reviews are cached by token hash,
// never past the token's own expiry and never longer than `cacheTtlMs`, so that a
// pod-bound token stops working soon after its pod is deleted.
import { createHash } from 'node:crypto';
import type { AuthenticationV1Api, V1TokenReviewStatus } from '@kubernetes/client-node';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { WorkloadIdentity } from '../src/identity.js';
import { identityFromUsername } from '../src/identity.js';
import { apiFailure } from '../src/k8s/client.js';
import type { Clock } from './authority.js';
import { systemClock } from './authority.js';

export interface ReviewedToken {
  readonly identity: WorkloadIdentity;
  readonly podName?: string;
  readonly podUid?: string;
}

export interface TokenReviewerOptions {
  readonly audience: string;
  readonly trustDomain: string;
  readonly cacheTtlMs: number;
  readonly maxCacheEntries?: number;
  readonly clock?: Clock;
}

const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';
/** A JWT is three base64url parts; anything much larger is not a ServiceAccount token. */
const MAX_TOKEN_BYTES = 16 * 1024;

/** The `exp` claim (ms), read without verifying: only used to bound the cache. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class TokenReviewer {
  private readonly cache = new Map<string, { value: ReviewedToken; until: number }>();
  private readonly clock: Clock;

  constructor(
    private readonly api: AuthenticationV1Api,
    private readonly opts: TokenReviewerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async review(token: string): Promise<ReviewedToken> {
    if (!token) throw new WeftError(ErrorCode.TokenMissing, 'no bearer token');
    if (token.length > MAX_TOKEN_BYTES) {
      throw new WeftError(ErrorCode.TokenInvalid, 'bearer token is too large');
    }
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.clock.now().getTime();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.value;
    this.cache.delete(key);

    const value = await this.ask(token);
    const exp = tokenExpiry(token);
    const until = Math.min(now + this.opts.cacheTtlMs, exp ?? now);
    if (until > now) this.remember(key, value, until);
    return value;
  }

  private remember(key: string, value: ReviewedToken, until: number): void {
    const max = this.opts.maxCacheEntries ?? 10_000;
    if (this.cache.size >= max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { value, until });
  }

  private async ask(token: string): Promise<ReviewedToken> {
    let status: V1TokenReviewStatus | undefined;
    try {
      const res = await this.api.createTokenReview({
        body: { spec: { token, audiences: [this.opts.audience] } },
      });
      status = res.status;
    } catch (err) {
      throw apiFailure('TokenReview', err);
    }
    return identityFromReview(status, this.opts.audience, this.opts.trustDomain);
  }
}

function authenticatedUser(
  status: V1TokenReviewStatus | undefined,
  audience: string,
): NonNullable<V1TokenReviewStatus['user']> & { username: string } {
  const user = status?.authenticated ? status.user : undefined;
  if (!user?.username) {
    const why = status?.error ? `: ${status.error}` : '';
    throw new WeftError(
      ErrorCode.TokenInvalid,
      `token is not valid for audience ${audience}${why}`,
    );
  }
  if (!(status?.audiences ?? []).includes(audience)) {
    throw new WeftError(ErrorCode.TokenInvalid, `token is not for audience ${audience}`);
  }
  return { ...user, username: user.username };
}

/** A TokenReview's answer as a workload identity, or the precise reason it is not one. */
export function identityFromReview(
  status: V1TokenReviewStatus | undefined,
  audience: string,
  trustDomain: string,
): ReviewedToken {
  const user = authenticatedUser(status, audience);
  const identity = identityFromUsername(user.username, trustDomain);
  if (!identity) {
    throw new WeftError(
      ErrorCode.NotAServiceAccount,
      `${user.username} is not a ServiceAccount; only ServiceAccounts get workload certificates`,
    );
  }
  const podName = user.extra?.[POD_NAME]?.[0];
  const podUid = user.extra?.[POD_UID]?.[0];
  return { identity, ...(podName ? { podName } : {}), ...(podUid ? { podUid } : {}) };
}
