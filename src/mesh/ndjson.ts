// NDJSON framing for the discovery stream: JSON.stringify never writes a raw
// newline, so one line is one message. Lines are bounded: a peer cannot make the
// reader buffer without limit.
import { ErrorCode, WeftError } from '../errors.js';

export const encodeLine = (message: unknown): string => JSON.stringify(message) + '\n';

/** A line longer than the reader's bound: the peer is cut off, nothing more is buffered. */
export class LineTooLongError extends WeftError {
  constructor(readonly maxLineBytes: number) {
    super(ErrorCode.BadRequest, `message over ${maxLineBytes} bytes`);
  }
}

export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Feeds bytes; returns the complete lines parsed as JSON. Throws on an oversized or bad line. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, nl));
      const line = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.trim()) out.push(parse(line));
    }
    this.append(chunk.subarray(start));
    return out;
  }

  private append(part: Buffer): void {
    if (!part.length) return;
    this.size += part.length;
    if (this.size > this.maxLineBytes) {
      this.parts = []; // released now, not when the caller drops the reader
      throw new LineTooLongError(this.maxLineBytes);
    }
    this.parts.push(part);
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (cause) {
    throw new WeftError(ErrorCode.BadRequest, 'message is not JSON', { cause });
  }
}
