// Holds the request body when a try may have to be repeated or copied, in one of
// two ways, both bounded (MAX_REPLAY_BYTES per request, never more than the client
// sent):
// - read before the first try, when the rule retries or mirrors: a mirror sends its
//   copy beside the try, so it needs the body whole, and the rule's retries share
//   that read. A body over the bound is streamed as usual (the part read, then the
//   rest), and that request gets neither retries nor mirrors.
// - streamed with a copy kept (../replayable-body.ts), when only the TrafficPolicy's
//   retries may follow (Istio's default included): those run for every request, gRPC
//   streams too, which must not wait for their whole body nor pay for reading it
//   first. Past the bound the copy is dropped and the request is not retried.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Exchange, Layer, ProxyRequest } from '../exchange.js';
import { isHttp2Request } from '../exchange.js';
import { hasBody } from '../forward-pooled.js';
import { ReplayableBody } from '../replayable-body.js';
import { policyRetries } from '../retry-policy.js';

/** Envoy buffers up to its connection buffer limit for retries; 64 KiB keeps memory flat. */
export const MAX_REPLAY_BYTES = 64 * 1024;

/** Does a body follow the head? h2: the HEADERS frame did not end the stream. */
export function bodyFollows(req: ProxyRequest): boolean {
  if (isHttp2Request(req)) return !req.stream.endAfterHeaders;
  return hasBody(req);
}

/** Whether the body is held whole, or there is none: a mirror can send a copy. */
export function heldWhole(ex: Exchange): boolean {
  return Buffer.isBuffer(ex.body) || (ex.body === undefined && !bodyFollows(ex.req));
}

/**
 * Whether a try can be repeated now: the body is held whole, or there is none, or
 * every byte of it read so far is held (a ReplayableBody within its bound).
 */
export function replayable(ex: Exchange): boolean {
  return ex.body instanceof ReplayableBody ? ex.body.replayable : heldWhole(ex);
}

async function* rest(
  read: readonly Buffer[],
  it: AsyncIterator<Buffer>,
  ex: Exchange,
): AsyncGenerator<Buffer> {
  yield* read;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    ex.requestBytes += r.value.length;
    yield r.value;
  }
}

async function readUpTo(ex: Exchange, limit: number): Promise<Buffer | AsyncIterable<Buffer>> {
  // Not `for await`: leaving that loop early would destroy the request.
  const it = (ex.req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    ex.requestBytes += r.value.length;
    chunks.push(r.value);
    size += r.value.length;
    if (size > limit) return rest(chunks, it, ex);
  }
  return Buffer.concat(chunks, size);
}

export const requestBody =
  (limit = MAX_REPLAY_BYTES): Layer =>
  (next) =>
  async (ex) => {
    if (ex.upgrade || !bodyFollows(ex.req)) return next(ex);
    const plan = ex.plan;
    if (plan && (plan.retry !== undefined || plan.mirrors.length > 0)) {
      try {
        ex.body = await readUpTo(ex, limit);
      } catch (cause) {
        throw new WeftError(ErrorCode.BadRequest, 'request body ended early', { cause });
      }
    } else if (ex.traffic && policyRetries(plan, ex.traffic.settings)) {
      ex.body = new ReplayableBody(ex, limit);
    }
    return next(ex);
  };
