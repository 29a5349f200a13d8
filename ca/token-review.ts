// Turns a bearer token into a workload identity through the API server's
// TokenReview, for weft's audience. Successful reviews are cached by token hash,
// never past the token's own expiry and never longer than `cacheTtlMs`, so that a
// pod-bound token stops working soon after its pod is deleted. Refusals are cached
// briefly, concurrent reviews of one token are shared, and TokenReviews in flight are
// bounded, so a flood of bad tokens costs the API server little and cannot starve
// a legitimate request.
import { createHash } from 'node:crypto';
import type { AuthenticationV1Api, V1TokenReviewStatus } from '@kubernetes/client-node';
import { ErrorCode, WeftError } from '../src/errors.js';
import type { WorkloadIdentity } from '../src/identity.js';
import { identityFromUsername } from '../src/identity.js';
import { apiFailure } from '../src/k8s/client.js';
import type { LimitedLogger } from '../src/log-limit.js';
import { BoundedConcurrency } from './bounded-concurrency.js';
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
  /** Bound of each cache (valid tokens, refused tokens); default 10 000. */
  readonly maxCacheEntries?: number;
  /** How long a refused token is answered from memory; default 5 000 ms. */
  readonly negativeCacheMs?: number;
  /** TokenReviews in flight at once (default 16) and callers waiting (default 256). */
  readonly maxConcurrent?: number;
  readonly maxQueued?: number;
  /** Reviews one peer address may have pending at once (default 8); past it, 429. */
  readonly maxPerPeer?: number;
  /** Where refusals are logged, rate-limited (a peer triggers them). */
  readonly log?: LimitedLogger;
  readonly clock?: Clock;
}

const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';
/** A JWT is three base64url parts; anything much larger is not a ServiceAccount token. */
const MAX_TOKEN_BYTES = 16 * 1024;

interface Claims {
  readonly exp?: unknown;
  readonly aud?: unknown;
}

function claimsOf(token: string): Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** The `exp` claim (ms), read without verifying: only used to bound the cache. */
export function tokenExpiry(token: string): number | undefined {
  const exp = claimsOf(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/**
 * Why a token cannot possibly pass review, read from its unverified claims: not a
 * JWT, not for our audience, or expired. Only ever used to refuse early (a token
 * that passes this still goes to TokenReview), so a flood of garbage costs no
 * TokenReview at all.
 */
export function hopelessToken(token: string, audience: string, now: number): string | undefined {
  const claims = claimsOf(token);
  if (!claims) return 'not a JWT';
  const aud = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
  if (!aud.includes(audience)) return 'aud claim lacks our audience';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'expired or no exp';
  return undefined;
}

/** A bounded map from token hash to an answer with its own expiry; oldest out first. */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(private readonly max: number) {}

  get(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit) this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, until: number): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
  }
}

const isRefusal = (err: unknown): err is WeftError =>
  err instanceof WeftError &&
  (err.code === ErrorCode.TokenInvalid || err.code === ErrorCode.NotAServiceAccount);

export class TokenReviewer {
  private readonly cache: ExpiringCache<ReviewedToken>;
  /** Refusals, briefly: a flood of one bad token costs one TokenReview, not one each. */
  private readonly refused: ExpiringCache<WeftError>;
  /** Reviews of the same token already asked, shared by concurrent callers. */
  private readonly inFlight = new Map<string, Promise<ReviewedToken>>();
  private readonly gate: BoundedConcurrency;
  /** Reviews pending per peer address; entries leave at zero, so its size is bounded by the gate. */
  private readonly perPeer = new Map<string, number>();
  private readonly clock: Clock;

  constructor(
    private readonly api: AuthenticationV1Api,
    private readonly opts: TokenReviewerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    const max = opts.maxCacheEntries ?? 10_000;
    this.cache = new ExpiringCache(max);
    this.refused = new ExpiringCache(max);
    this.gate = new BoundedConcurrency(
      opts.maxConcurrent ?? 16,
      opts.maxQueued ?? 256,
      'token reviews',
    );
  }

  /**
   * The identity of `token`. `peer` (the caller's address) bounds how many reviews one
   * caller may have waiting, so a flood from one pod cannot fill the shared queue.
   */
  async review(token: string, peer = ''): Promise<ReviewedToken> {
    if (!token) throw new WeftError(ErrorCode.TokenMissing, 'no bearer token');
    if (token.length > MAX_TOKEN_BYTES) {
      throw new WeftError(ErrorCode.TokenInvalid, 'bearer token is too large');
    }
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.clock.now().getTime();
    const hit = this.cache.get(key, now);
    if (hit) return hit;
    const refusal = this.refused.get(key, now);
    if (refusal) throw refusal;
    const hopeless = hopelessToken(token, this.opts.audience, now);
    if (hopeless) throw this.refuse(notValid(this.opts.audience, hopeless), 'before review');
    let pending = this.inFlight.get(key);
    if (!pending) {
      const release = this.admit(peer);
      pending = this.reviewOnce(key, token, now).finally(() => {
        this.inFlight.delete(key);
        release();
      });
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Counts a review against its peer's share, or refuses it (429) past the share. */
  private admit(peer: string): () => void {
    const n = this.perPeer.get(peer) ?? 0;
    if (n >= (this.opts.maxPerPeer ?? 8)) {
      throw new WeftError(ErrorCode.RateLimited, 'too many token reviews from this client; retry', {
        retryAfterSeconds: 1,
      });
    }
    this.perPeer.set(peer, n + 1);
    return () => {
      const left = (this.perPeer.get(peer) ?? 1) - 1;
      if (left > 0) this.perPeer.set(peer, left);
      else this.perPeer.delete(peer);
    };
  }

  private async reviewOnce(key: string, token: string, now: number): Promise<ReviewedToken> {
    let value: ReviewedToken;
    try {
      value = await this.gate.run(() => this.ask(token));
    } catch (err) {
      if (!isRefusal(err)) throw err;
      this.refused.set(key, err, now + (this.opts.negativeCacheMs ?? 5000));
      throw this.refuse(err, 'by TokenReview');
    }
    const exp = tokenExpiry(token);
    const until = Math.min(now + this.opts.cacheTtlMs, exp ?? now);
    if (until > now) this.cache.set(key, value, until);
    return value;
  }

  /** Logs a refusal's detail (the API server's reason) here, rate-limited; returns it. */
  private refuse(err: WeftError, stage: string): WeftError {
    const reason = err.cause instanceof Error ? err.cause.message : err.message;
    const key = `token refused ${stage} ${err.code}`;
    this.opts.log?.warn('token refused', { code: err.code, stage, reason }, key);
    return err;
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

/** The one message a caller sees for a bad token; the reason is kept as `cause`. */
const notValid = (audience: string, reason: string): WeftError =>
  new WeftError(ErrorCode.TokenInvalid, `token is not valid for audience ${audience}`, {
    cause: new Error(reason),
  });

function authenticatedUser(
  status: V1TokenReviewStatus | undefined,
  audience: string,
): NonNullable<V1TokenReviewStatus['user']> & { username: string } {
  const user = status?.authenticated ? status.user : undefined;
  if (!user?.username) {
    // The API server's reason (which names its own audience URL, say) is for our log,
    // not for the caller: it goes in `cause`.
    throw notValid(audience, status?.error ?? 'not authenticated');
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
