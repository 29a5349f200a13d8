// Just enough DER (ITU-T X.690) to build workload certificates and read PKCS#10
// requests on the CA's hot path without a schema library. Every tag used here is
// named; anything unexpected while reading is an error, never a guess.

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

type Bytes = Uint8Array;

function lengthBytes(n: number): Bytes {
  if (n < 0x80) return Uint8Array.of(n);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

export function tlv(tag: number, ...content: Bytes[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.of(tag), lengthBytes(body.length), body]);
}

export const seq = (...items: Bytes[]): Buffer => tlv(Tag.Sequence, ...items);
export const octets = (b: Bytes): Buffer => tlv(Tag.OctetString, b);
export const bool = (v: boolean): Buffer => tlv(Tag.Boolean, Uint8Array.of(v ? 0xff : 0));
export const nul = (): Buffer => tlv(Tag.Null);
/** Context-specific tag [n]; constructed for EXPLICIT wrapping and structured IMPLICIT values. */
export const ctx = (n: number, constructed: boolean, ...content: Bytes[]): Buffer =>
  tlv(0x80 | (constructed ? 0x20 : 0) | n, ...content);

/** A BIT STRING whose content is whole bytes. */
export const bits = (b: Bytes): Buffer => tlv(Tag.BitString, Uint8Array.of(0), b);

/** A positive INTEGER from big-endian bytes, minimally encoded. */
export function uint(bytes: Bytes): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(Tag.Integer, (v[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...v) : v);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(Tag.Oid, Uint8Array.from(out));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds, Zulu. */
export function time(d: Date): Buffer {
  const iso = d.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  return d.getUTCFullYear() < 2050
    ? tlv(Tag.UtcTime, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(Tag.GeneralizedTime, Buffer.from(digits, 'ascii'));
}

// ---- reading ----

export interface Node {
  readonly tag: number;
  /** Offset of the first content byte. */
  readonly start: number;
  /** Offset just past the content. */
  readonly end: number;
  /** Offset of the tag byte (the whole TLV is [header, end)). */
  readonly header: number;
}

export class DerError extends Error {}

export function read(buf: Bytes, offset = 0): Node {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new DerError(`truncated DER at ${offset}`);
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not used here');
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`unsupported length form at ${offset}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] ?? NaN);
    start += n;
  }
  const end = start + len;
  if (!Number.isFinite(len) || end > buf.length)
    throw new DerError(`length past the end at ${offset}`);
  return { tag, start, end, header: offset };
}

export function children(buf: Bytes, node: Node): Node[] {
  const out: Node[] = [];
  for (let at = node.start; at < node.end;) {
    const child = read(buf, at);
    out.push(child);
    at = child.end;
  }
  if (out.length && out[out.length - 1]!.end !== node.end) throw new DerError('children overrun');
  return out;
}

export function expect(node: Node | undefined, tag: number, what: string): Node {
  if (!node || node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return node;
}

export const content = (buf: Bytes, n: Node): Bytes => buf.subarray(n.start, n.end);
export const whole = (buf: Bytes, n: Node): Bytes => buf.subarray(n.header, n.end);

export function readOid(buf: Bytes, n: Node): string {
  const b = content(buf, n);
  if (b.length === 0) throw new DerError('empty OID');
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (const byte of b.subarray(1)) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}
