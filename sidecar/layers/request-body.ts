// Reads the request body before the first try, when a rule needs it again: a
// retry replays it and a mirror sends a copy. Only up to a bound: a body over it
// is streamed as usual (the part read, then the rest), and that request gets
// neither retries nor mirrors. So the sidecar never holds more than the bound per
// request, and never more than the client sent.
import { ErrorCode, WeftError } from '../../src/errors.js';
import type { Exchange, Layer, ProxyRequest } from '../exchange.js';
import { isHttp2Request } from '../exchange.js';
import { hasBody } from '../forward-pooled.js';

/** Envoy buffers up to its connection buffer limit for retries; 64 KiB keeps memory flat. */
export const MAX_REPLAY_BYTES = 64 * 1024;

/** Does a body follow the head? h2: the HEADERS frame did not end the stream. */
export function bodyFollows(req: ProxyRequest): boolean {
  if (isHttp2Request(req)) return !req.stream.endAfterHeaders;
  return hasBody(req);
}

/** Whether a try can be repeated: the body is held whole, or there is none. */
export function replayable(ex: Exchange): boolean {
  return Buffer.isBuffer(ex.body) || (ex.body === undefined && !bodyFollows(ex.req));
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
    const plan = ex.plan;
    const wanted = plan && (plan.retry !== undefined || plan.mirrors.length > 0);
    if (wanted && !ex.upgrade && bodyFollows(ex.req)) {
      try {
        ex.body = await readUpTo(ex, limit);
      } catch (cause) {
        throw new WeftError(ErrorCode.BadRequest, 'request body ended early', { cause });
      }
    }
    return next(ex);
  };
