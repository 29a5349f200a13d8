// Just enough HTTP/2 (RFC 9113) and HPACK (RFC 7541) to send a client's HEADERS
// frame byte for byte, forbidden fields included: Node's own client refuses to
// send those, so the fuzz writes them itself. Literals only, no Huffman, no table.
import net from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FrameType = { Data: 0, Headers: 1, RstStream: 3, Settings: 4, GoAway: 7 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  for (let v = value - max; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return out;
    }
    out.push((v % 128) | 0x80);
  }
}

const hpackString = (s: string): Buffer => {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from(hpackInt(bytes.length, 7)), bytes]);
};

/** Literal header fields without indexing, new names (RFC 7541 §6.2.2). */
export function hpackBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(
    fields.flatMap(([name, value]) => [Buffer.of(0), hpackString(name), hpackString(value)]),
  );
}

export function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** The preface, an empty SETTINGS and one request on stream 1 (no body). */
export function h2Request(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat([
    PREFACE,
    frame(FrameType.Settings, 0, 0, Buffer.alloc(0)),
    frame(FrameType.Headers, END_STREAM | END_HEADERS, 1, hpackBlock(fields)),
  ]);
}

export interface H2Outcome {
  /** The frame that ended stream 1 for the client: its answer, a reset, or GOAWAY. */
  readonly ended: 'response' | 'reset' | 'goaway' | 'closed' | 'timeout';
}

/** Sends the bytes and reads frames until stream 1 is answered, reset, or the session ends. */
export function h2Exchange(port: number, bytes: Buffer, timeoutMs: number): Promise<H2Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (ended: H2Outcome['ended']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ended });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const [type, flags, stream] = [buf[3]!, buf[4]!, buf.readUInt32BE(5) & 0x7fffffff];
        buf = buf.subarray(9 + len);
        if (type === FrameType.GoAway) return done('goaway');
        if (stream !== 1) continue;
        if (type === FrameType.RstStream) return done('reset');
        if ((type === FrameType.Headers || type === FrameType.Data) && flags & END_STREAM) {
          return done('response');
        }
      }
    });
    socket.on('error', () => done('closed'));
    socket.on('close', () => done('closed'));
    socket.write(bytes);
  });
}
