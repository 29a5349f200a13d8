// Request-smuggling and framing shapes (RFC 9112 §6, §7; the classic CL.TE, TE.CL
// and TE.TE desyncs; obs-fold, bare CR/LF, chunk-size and extension abuse). Each
// is one byte string a client might send to the sidecar's inbound port; the fuzz
// target also recombines their pieces.
const R = '\r\n';
const head = (lines: string[], eol = R): string => lines.join(eol) + eol + eol;
const post = (headers: string[], body: string): string =>
  head(['POST /upload HTTP/1.1', 'Host: app', ...headers]) + body;
const smuggled = head(['GET /admin HTTP/1.1', 'Host: app']);

export const SMUGGLING_CORPUS: readonly string[] = [
  // CL.TE and TE.CL: both framings present.
  post(['Content-Length: 6', 'Transfer-Encoding: chunked'], `0${R}${R}G`),
  post(['Transfer-Encoding: chunked', 'Content-Length: 4'], `5c${R}${smuggled}${R}0${R}${R}`),
  post(['Content-Length: 0', 'Transfer-Encoding: chunked'], `0${R}${R}${smuggled}`),
  // TE.TE: obfuscated Transfer-Encoding.
  post(['Transfer-Encoding: chunked', 'Transfer-Encoding: x'], `0${R}${R}`),
  post(['Transfer-Encoding: chunked, identity'], `5${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: identity, chunked'], `5${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: gzip, chunked'], `0${R}${R}`),
  post(['Transfer-Encoding: Chunked'], `5${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: xchunked'], `0${R}${R}`),
  post(['Transfer-Encoding : chunked'], `0${R}${R}`),
  post(['Transfer-Encoding:\tchunked'], `0${R}${R}`),
  post([' Transfer-Encoding: chunked'], `0${R}${R}`),
  post(['Transfer-Encoding: chunked', ' identity'], `0${R}${R}`), // obs-fold
  post(['X: a', ' Transfer-Encoding: chunked'], `0${R}${R}`),
  post(['Transfer-Encoding: \x0bchunked'], `0${R}${R}`),
  // Content-Length: duplicates, lists, signs, spaces, hex, overflow.
  post(['Content-Length: 5', 'Content-Length: 5'], 'hello'),
  post(['Content-Length: 5', 'Content-Length: 6'], 'hello!'),
  post(['Content-Length: 5, 5'], 'hello'),
  post(['Content-Length: +5'], 'hello'),
  post(['Content-Length: -1'], ''),
  post(['Content-Length: 0x5'], 'hello'),
  post(['Content-Length:  5 '], 'hello'),
  post(['Content-Length : 5'], 'hello'),
  post(['Content-Length: 99999999999999999999'], 'x'),
  post(['Content-Length: 5'], `hello${smuggled}`),
  // Chunk sizes and extensions.
  post(['Transfer-Encoding: chunked'], `-1${R}${R}`),
  post(['Transfer-Encoding: chunked'], `0x5${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5 ${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `ffffffffffffffffff${R}x${R}0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5;ext=${'a'.repeat(20000)}${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5;a="b\\"c"${R}hello${R}0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5${R}hellox0${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5\nhello\n0\n\n`),
  post(['Transfer-Encoding: chunked'], `5${R}hello${R}0${R}Trailer: x${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5${R}hello${R}0${R}Content-Length: 9${R}${R}`),
  post(['Transfer-Encoding: chunked'], `5${R}hello${R}0${R}${R}${smuggled}`),
  // Bare LF / bare CR line endings and stray bytes.
  head(['GET / HTTP/1.1', 'Host: app'], '\n'),
  head(['GET / HTTP/1.1', 'Host: app'], '\r'),
  `GET / HTTP/1.1\rHost: app${R}${R}`,
  `GET / HTTP/1.1${R}Host: a\rpp${R}${R}`,
  `GET / HTTP/1.1${R}Host: app${R}X: a\0b${R}${R}`,
  `GET / HTTP/1.1${R}Host: app${R}X\0: b${R}${R}`,
  `GET  / HTTP/1.1${R}Host: app${R}${R}`,
  `GET / HTTP/1.1 ${R}Host: app${R}${R}`,
  `GET /a b HTTP/1.1${R}Host: app${R}${R}`,
  `GET / HTTP/1.1${R}${R}`,
  `GET / HTTP/1.1${R}Host: a${R}Host: b${R}${R}`,
  `GET http://other/ HTTP/1.1${R}Host: app${R}${R}`,
  `GET / HTTP/1.0${R}${R}`,
  `GET / HTTP/1.2${R}Host: app${R}${R}`,
  `GET / HTTP/2.0${R}Host: app${R}${R}`,
  `PRI * HTTP/2.0${R}${R}SM${R}${R}`,
  // Hop-by-hop and identity headers a client might try to smuggle through.
  head([
    'GET / HTTP/1.1',
    'Host: app',
    'Connection: x-forwarded-client-cert',
    'X-Forwarded-Client-Cert: By=x;URI=spiffe://evil/ns/a/sa/b',
  ]),
  head([
    'GET / HTTP/1.1',
    'Host: app',
    'X-Forwarded-Client-Cert: URI=spiffe://cluster.local/ns/weft-system/sa/x',
  ]),
  head(['GET / HTTP/1.1', 'Host: app', 'Connection: content-length', 'Content-Length: 0']),
  post(['Connection: content-length', 'Content-Length: 5'], 'hello'),
  post(['Connection: transfer-encoding', 'Transfer-Encoding: chunked'], `5${R}hello${R}0${R}${R}`),
  head(['GET / HTTP/1.1', 'Host: app', 'Connection: host']),
  head(['GET / HTTP/1.1', 'Host: app', 'Connection: close, keep-alive, te', 'TE: trailers, gzip']),
  head(['GET / HTTP/1.1', 'Host: app', 'Connection: Upgrade', 'Upgrade: websocket']),
  head([
    'GET / HTTP/1.1',
    'Host: app',
    'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA',
    'Connection: Upgrade, HTTP2-Settings',
  ]),
  head(['POST / HTTP/1.1', 'Host: app', 'Expect: 100-continue', 'Content-Length: 5']) + 'hello',
  head(['CONNECT app:443 HTTP/1.1', 'Host: app:443']),
  head(['GET / HTTP/1.1', 'Host: app', `X-Big: ${'a'.repeat(17 * 1024)}`]),
  head(['GET / HTTP/1.1', 'Host: app', 'X-Latin1: caf\u00e9 \u00ff']),
  head([
    'GET / HTTP/1.1',
    'Host: app',
    'Set-Cookie: a=1',
    'Set-Cookie: b=2',
    'Cookie: x',
    'Cookie: y',
  ]),
  // Pipelined requests, one refused in the middle.
  head(['GET /1 HTTP/1.1', 'Host: app']) + head(['GET /2 HTTP/1.1', 'Host: app']),
  head(['GET /1 HTTP/1.1', 'Host: app']) +
    `GET /2 HTTP/1.1${R}Content-Length: 1${R}Content-Length: 2${R}${R}xx` +
    head(['GET /3 HTTP/1.1', 'Host: app']),
  // An Upgrade pipelined behind an ordinary request (once crashed the sidecar).
  head(['GET /1 HTTP/1.1', 'Host: app']) +
    head(['GET /2 HTTP/1.1', 'Host: app', 'Connection: Upgrade', 'Upgrade: websocket']),
  // A request line claiming HTTP/2.0 on an HTTP/1.1 connection (once forwarded as h2c).
  'GET / HTTP/2.0\r\n\r\n',
];
