// Header hygiene at the proxy: hop-by-hop headers (RFC 9110 §7.6.1) and HTTP/2
// pseudo-headers never cross; the rest pass unchanged.
import type http from 'node:http';
import { isDeepStrictEqual } from 'node:util';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'http2-settings',
  'host',
]);

const NONE: readonly string[] = [];

/** Headers to forward; `host` is set by the caller as Host or :authority. */
export function forwardHeaders(
  incoming: http.IncomingHttpHeaders,
  keep: readonly string[] = [],
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  // Runs two or three times per request: no Set or entries array to build, and the
  // Connection list (usually absent, or one token) as a short array.
  const connection = incoming.connection;
  const listed = connection
    ? String(connection)
        .toLowerCase()
        .split(',')
        .map((s) => s.trim())
    : NONE;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || name.startsWith(':')) continue;
    if ((HOP_BY_HOP.has(name) || listed.includes(name)) && !keep.includes(name)) continue;
    out[name] = value;
  }
  // gRPC needs `te: trailers` end to end.
  if (incoming.te === 'trailers') out.te = 'trailers';
  return out;
}

/** The value Node's HTTP/2 layer makes of a field sent more than once. */
function joined(name: string, values: readonly string[]): string | readonly string[] {
  if (name === 'set-cookie') return values;
  return values.join(name === 'cookie' ? '; ' : ', ');
}

/**
 * Whether a name occurs twice in Node's flat name/value list. Exact comparison:
 * HTTP/2 field names arrive lowercase (RFC 9113 §8.2.1; nghttp2 refuses others).
 */
function repeats(raw: readonly string[]): boolean {
  for (let i = 2; i < raw.length; i += 2) {
    const name = raw[i];
    for (let j = 0; j < i; j += 2) if (raw[j] === name) return true;
  }
  return false;
}

/**
 * The forwarded fields with each repeated field split back into the fields the
 * peer sent (`raw`: Node's flat name/value list). Node joins repeats with ", ",
 * and a join with an empty value ends in white space, which HTTP/2 forbids, so
 * the field would be lost on the way (found by fuzzing). A value a layer set
 * (it no longer equals the join) is forwarded as set; a dropped field stays out.
 */
export function asSent(
  forwarded: http.OutgoingHttpHeaders,
  raw: readonly string[],
): http.OutgoingHttpHeaders {
  // Runs two or three times per HTTP/2 request, and fields are rarely repeated:
  // without a repeat the forwarded object is the answer as it is, not a copy.
  if (!repeats(raw)) return forwarded;
  const repeated = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!Object.hasOwn(forwarded, name)) continue;
    const values = repeated.get(name) ?? [];
    values.push(raw[i + 1]!);
    repeated.set(name, values);
  }
  const out = { ...forwarded };
  for (const [name, values] of repeated) {
    if (values.length > 1 && isDeepStrictEqual(joined(name, values), forwarded[name])) {
      out[name] = values;
    }
  }
  return out;
}
