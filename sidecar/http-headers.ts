// Header hygiene at the proxy: hop-by-hop headers (RFC 9110 §7.6.1) and HTTP/2
// pseudo-headers never cross; the rest pass unchanged.
import type http from 'node:http';

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

/** Headers to forward; `host` is set by the caller as Host or :authority. */
export function forwardHeaders(
  incoming: http.IncomingHttpHeaders,
  keep: readonly string[] = [],
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const listed = new Set(
    String(incoming.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim()),
  );
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name.startsWith(':')) continue;
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !keep.includes(name)) continue;
    out[name] = value;
  }
  // gRPC needs `te: trailers` end to end.
  if (incoming.te === 'trailers') out.te = 'trailers';
  return out;
}
