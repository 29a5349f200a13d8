// HTTP/2 requests with the fields RFC 9113 §8.2–8.3 forbids, written byte for byte
// (connection-specific fields, `te` other than `trailers`, upper-case names,
// pseudo-headers unknown, repeated, missing or after regular fields, CR/LF/NUL in
// values), sent to the sidecar's inbound HTTP/2 layer in front of an h2c app.
// Invariant: a malformed request is refused (stream reset, GOAWAY or a 4xx) and
// never reaches the app; a request that reaches the app has the method, path,
// authority and end-to-end fields the client sent, hop-by-hop fields dropped,
// the sidecar's own XFCC replacing any the client sent; never a 500 or a crash.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { SidecarUnderTest, xfccFor } from '../http/sidecar-harness.js';
import type { ForwardedH2 } from '../http/sidecar-harness.js';
import { h2Exchange, h2Request } from '../http/h2-wire.js';
import type { FuzzTarget } from '../target.js';
import { violation } from '../target.js';

type Field = readonly [string, string];

const pseudo = fc.constantFrom<Field>(
  [':method', 'GET'],
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/x'],
  [':path', ''],
  [':authority', 'app'],
  [':status', '200'],
  [':protocol', 'websocket'],
  [':foo', 'bar'],
);
const regular = fc.oneof(
  fc.constantFrom<Field>(
    ['connection', 'keep-alive'],
    ['keep-alive', 'timeout=5'],
    ['proxy-connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'h2c'],
    ['te', 'trailers'],
    ['te', 'gzip'],
    ['te', 'trailers, gzip'],
    ['host', 'other'],
    ['x-a', 'b'],
    ['X-Upper', 'b'],
    ['x-forwarded-client-cert', 'By=x;URI=spiffe://evil/ns/a/sa/b'],
    ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['content-length', '0'],
    ['content-length', '5'],
    ['x-crlf', 'a\r\nx-injected: 1'],
    ['x-nul', 'a\0b'],
    ['x-space', ' padded '],
    ['x sp', 'v'],
    ['', 'empty-name'],
    ['cookie', 'a=1'],
    ['cookie', 'b=2'],
  ),
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      fc.string({ unit: 'binary-ascii', maxLength: 8 }),
    )
    .map(([n, v]): Field => [`x-${n}`, v]),
);
const valid: Field[] = [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/x'],
  [':authority', 'app'],
];
/** A well-formed start, then fields inserted anywhere and some removed. */
const fields = fc
  .tuple(
    fc.array(fc.tuple(fc.oneof(pseudo, regular, regular), fc.nat()), { maxLength: 5 }),
    fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
  )
  .map(([inserts, removals]) => {
    const out = [...valid];
    for (const r of removals) out.splice(r, 1);
    for (const [field, at] of inserts) out.splice(at % (out.length + 1), 0, field);
    return out;
  });

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);
const HOP = new Set([
  ...CONNECTION_SPECIFIC,
  'te',
  'host',
  'x-forwarded-client-cert',
  'traceparent',
]);

/** A field name HTTP/2 refuses: upper case (an empty one, or one with white space, is dropped). */
function badField(name: string): string | undefined {
  if (name !== name.toLowerCase()) return `field name "${name}"`;
  return undefined;
}

/** Why RFC 9113 makes this request malformed; undefined when it is well-formed. */
function malformed(list: readonly Field[]): string | undefined {
  const seen = new Set<string>();
  let regularSeen = false;
  for (const [name, value] of list) {
    const bad = badField(name);
    if (bad) return bad;
    if (name.startsWith(':')) {
      if (!REQUEST_PSEUDO.has(name) || seen.has(name) || regularSeen)
        return `pseudo-header ${name}`;
      seen.add(name);
      continue;
    }
    regularSeen = true;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return `te: ${value}`;
  }
  for (const need of [':method', ':scheme', ':path']) if (!seen.has(need)) return `no ${need}`;
  if (list.some(([n, v]) => n === ':path' && v === '')) return 'empty :path';
  return undefined;
}

/**
 * A value RFC 9113 §8.2.1 does not allow (CR, LF, NUL, other controls, or white space
 * at either end).
 * Node's HTTP/2 layer drops such a field rather than refusing the stream, and so
 * does the app's, with or without the sidecar: it is not part of what the app reads.
 */
// eslint-disable-next-line no-control-regex -- control characters are the point
const droppedValue = (v: string): boolean => /[\x00-\x08\x0a-\x1f\x7f]|^[ \t]|[ \t]$/.test(v);

/** End-to-end fields as the app should see them (cookies joined as HTTP/2 allows). */
function endToEnd(list: readonly (readonly [string, string | string[]])[]): Record<string, string> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of list) {
    if (name.startsWith(':') || HOP.has(name) || name === 'content-length') continue;
    if (name === '' || /\s/.test(name)) continue;
    const kept = (Array.isArray(value) ? value : [value]).filter((v) => !droppedValue(v));
    if (kept.length) out[name] = [...(out[name] ?? []), ...kept];
  }
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, v.join(k === 'cookie' ? '; ' : ', ')]),
  );
}

/** The app's view of a forwarded request against what the client sent. */
function compareForwarded(list: readonly Field[], app: ForwardedH2, id: number): void {
  const sent = Object.fromEntries(list.filter(([n]) => n.startsWith(':')));
  // RFC 9113 §8.3.1: without :authority, Host names the target.
  sent[':authority'] ??= list.find(([n]) => n === 'host')?.[1] ?? '';
  for (const p of [':method', ':path', ':authority'] as const) {
    if ((app.pseudo[p] ?? '') !== (sent[p] ?? '')) {
      violation(`app read ${p} ${app.pseudo[p]}, the client sent ${sent[p]}`);
    }
  }
  const want = endToEnd(list);
  const have = endToEnd(Object.entries(app.headers));
  if (!isDeepStrictEqual(have, want)) {
    violation(`app read fields ${JSON.stringify(have)}, the client sent ${JSON.stringify(want)}`);
  }
  if (app.headers['x-forwarded-client-cert'] !== xfccFor(id)) {
    violation(`app read XFCC ${String(app.headers['x-forwarded-client-cert'])}`);
  }
}

let sidecar: SidecarUnderTest | undefined;

export const http2Target: FuzzTarget<Field[]> = {
  name: 'sidecar-http2',
  weight: 0.01,
  quickRuns: 20,
  maxMsPerInput: 6000,
  arbitrary: fields,
  async open() {
    sidecar = new SidecarUnderTest();
    await sidecar.open();
  },
  async close() {
    await sidecar?.close();
  },
  async check(list) {
    const s = sidecar!;
    const id = s.next();
    await h2Exchange(s.h2Port, h2Request(list), 4000);
    const stuck = await s.settle(id);
    if (stuck) violation(`${stuck} stream(s) still inside the sidecar 2 s after the client left`);
    const got = s.forwardedH2.get(xfccFor(id)) ?? [];
    s.forwardedH2.delete(xfccFor(id));
    const why = malformed(list);
    if (why && got.length) violation(`a malformed request (${why}) reached the app`);
    if (got.length > 1) violation(`the app received ${got.length} streams for one request`);
    if (got[0]) compareForwarded(list, got[0], id);
  },
};
