// A request body streamed upstream as it arrives while a copy is kept, so that a
// failed try can be repeated, as Envoy buffers for retries: the first try reads the
// client's body live; a retry sends the bytes held, then reads on live. The copy is
// kept up to a bound: once the body outgrows it, the copy is dropped (memory stays
// flat), the try under way streams on, and the request cannot be replayed any more.
// Nothing is read ahead of the try, so a streaming call (a gRPC client waiting for
// the server before it sends more) flows as it would unheld.
//
// One try reads at a time: a later try takes the body over, and an earlier one that
// reads again fails. A read from the client is shared: when an abandoned try left
// one pending, its chunk is held for the next try, never lost. Each client byte is
// counted once (ex.requestBytes), when it is read from the client.
import { ErrorCode, WeftError } from '../src/errors.js';
import type { Exchange } from './exchange.js';
import { isHttp2Request } from './exchange.js';

export class ReplayableBody {
  /** While replayable, every chunk read; after, only those the current try has not sent. */
  private chunks: Buffer[] = [];
  /** The position of chunks[0] among all chunks read from the client. */
  private base = 0;
  private size = 0;
  private overflowed = false;
  private ended = false;
  private failure: Error | undefined;
  private pending: Promise<void> | undefined;
  /** The number of the try reading now; the ones before it may read no more. */
  private reader = 0;
  private readonly source: AsyncIterator<Buffer>;

  constructor(
    private readonly ex: Exchange,
    private readonly limit: number,
  ) {
    // Not `for await`: leaving that loop early would destroy the request.
    this.source = (ex.req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** A new try can send the whole body: every byte read so far is held. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** The body for the next try: the bytes held, then the rest as the client sends it. */
  forTry(): AsyncIterable<Buffer> {
    return this.read(++this.reader);
  }

  private async *read(reader: number): AsyncGenerator<Buffer> {
    for (let at = 0; ;) {
      if (reader !== this.reader) throw new Error('request body taken by a later try');
      if (this.overflowed) this.dropBefore(at);
      if (at < this.base) throw new Error('request body no longer held');
      if (at < this.base + this.chunks.length) {
        yield this.chunks[at++ - this.base]!;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await this.pull();
    }
  }

  private dropBefore(at: number): void {
    if (at <= this.base) return;
    this.chunks.splice(0, at - this.base);
    this.base = at;
  }

  /** One read from the client, shared by whichever try waits for it. */
  private pull(): Promise<void> {
    return (this.pending ??= this.source.next().then(
      (r) => {
        this.pending = undefined;
        if (r.done) this.end();
        else this.hold(r.value);
      },
      (cause: unknown) => {
        this.pending = undefined;
        this.failure = new WeftError(ErrorCode.BadRequest, 'request body ended early', { cause });
      },
    ));
  }

  private hold(chunk: Buffer): void {
    this.ex.requestBytes += chunk.length;
    this.size += chunk.length;
    this.chunks.push(chunk);
    if (this.size > this.limit) this.overflowed = true;
  }

  /**
   * A body cut short must reach the upstream as cut, never as whole. The iterator
   * fails on a client's reset or hang-up; the check guards the 'end' that Node's
   * HTTP/2 compatibility request also emits then (forward-http2.ts, streamBody).
   */
  private end(): void {
    const req = this.ex.req;
    const cut = isHttp2Request(req) ? req.aborted : !req.complete;
    if (cut) this.failure = new WeftError(ErrorCode.BadRequest, 'request body ended early');
    else this.ended = true;
  }
}

/**
 * The body one try sends: a body held whole, a fresh read of a replayable one, the
 * rest of one read in part, or undefined (the client's own, as it arrives).
 */
export function bodyForTry(ex: Exchange): Buffer | AsyncIterable<Buffer> | undefined {
  return ex.body instanceof ReplayableBody ? ex.body.forTry() : ex.body;
}
