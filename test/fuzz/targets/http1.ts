// The sidecar's HTTP/1.1 head handling, with a smuggling corpus and requests built
// from its pieces. Each input goes twice over loopback: to a strict reference (a
// fresh Node server: what the app reads) and through the sidecar's inbound layer
// to a strict recording app. Invariant: everything the app receives for an input
// is, request by request, what the reference read (method, target, end-to-end
// headers, body), the sidecar's own XFCC replacing any the client sent; no extra
// request; nothing the app's parser refuses; refusals are 4xx, never a 500.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type http from 'node:http';
import { SMUGGLING_CORPUS } from '../http/smuggling-corpus.js';
import { MAX_HEADER_BYTES, SidecarUnderTest, xfccFor } from '../http/sidecar-harness.js';
import { StrictReference, exchange, parseResponses } from '../http/wire.js';
import type { ParsedRequest, StrictParse } from '../http/wire.js';
import type { FuzzTarget } from '../target.js';
import { violation } from '../target.js';

const R = '\r\n';
const method = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'HEAD',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'get',
  'G ET',
  'CONNECT',
);
const target = fc.constantFrom(
  '/',
  '/a?b=c',
  '/%00',
  '*',
  'http://app/x',
  '/a b',
  '',
  '/\u00e9',
  '//x',
);
const version = fc.constantFrom(
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/1.2',
  'http/1.1',
  'HTTP/2.0',
);
const eol = fc.constantFrom(R, R, R, R, R, R, '\n', '\r', ' \r\n');
const lengthValue = fc.oneof(
  fc.nat({ max: 12 }).map(String),
  fc.constantFrom('+5', '-1', '0x5', ' 5 ', '5, 5', '5,6', '99999999999999999999', '', '5\t'),
);
const teValue = fc.constantFrom(
  'chunked',
  'Chunked',
  'chunked, identity',
  'identity, chunked',
  'gzip, chunked',
  'chunked\t',
  ' chunked',
  'xchunked',
  'chunked;x',
  'identity',
  'gzip',
  'chunked,',
  ',chunked',
);
const headerName = fc.constantFrom(
  'Host',
  'X-A',
  'Content-Type',
  'Cookie',
  'Set-Cookie',
  'User-Agent',
  'Connection',
  'Keep-Alive',
  'TE',
  'Trailer',
  'Upgrade',
  'Expect',
  'Proxy-Connection',
  'X-Forwarded-Client-Cert',
  'Traceparent',
  'Authorization',
  'X Space',
  'X-A ',
  'X\u00e9',
  'X:Colon',
  '',
);
const headerValue = fc.oneof(
  fc.constantFrom(
    'app',
    'a, b',
    'close',
    'keep-alive',
    'x-a',
    'content-length',
    'transfer-encoding',
    'upgrade',
    'trailers',
    'gzip',
    '100-continue',
    'websocket',
    'By=x;URI=spiffe://evil/ns/a/sa/b',
    '',
    ' padded ',
    'caf\u00e9',
    'a\0b',
    'a\rb',
    'a\nb',
    'a\x7fb',
    'a\tb',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
);
const header = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(headerName, headerValue).map(([n, v]) => `${n}: ${v}`) },
  lengthValue.map((v) => `Content-Length: ${v}`),
  teValue.map((v) => `Transfer-Encoding: ${v}`),
  fc.constantFrom(
    'Content-Length : 5',
    'Transfer-Encoding : chunked',
    ' X-Fold: a',
    '\tX: b',
    'NoColon',
    ': empty-name',
  ),
  fc.nat({ max: 20000 }).map((n) => `X-Long: ${'a'.repeat(n)}`),
);
const chunkSize = fc.oneof(
  fc.nat({ max: 20 }).map((n) => n.toString(16)),
  fc.constantFrom(
    '-1',
    '0x5',
    '5 ',
    ' 5',
    'fffffffffffffffff',
    'g',
    '',
    '05',
    '5;',
    '5;a=b',
    '5;a="x"',
  ),
  fc.nat({ max: 20000 }).map((n) => `5;e=${'a'.repeat(n)}`),
);
const chunked = fc
  .tuple(
    fc.array(fc.tuple(chunkSize, fc.string({ unit: 'binary-ascii', maxLength: 20 })), {
      maxLength: 3,
    }),
    fc.constantFrom(`0${R}${R}`, `0${R}X-T: 1${R}${R}`, '0\n\n', `0${R}`, ''),
  )
  .map(([chunks, last]) => chunks.map(([size, data]) => `${size}${R}${data}${R}`).join('') + last);
const body = fc.oneof(fc.constant(''), fc.string({ unit: 'binary-ascii', maxLength: 30 }), chunked);

const request = fc
  .tuple(method, target, version, eol, fc.boolean(), fc.array(header, { maxLength: 6 }), body)
  .map(
    ([m, t, v, e, host, headers, b]) =>
      [`${m} ${t} ${v}`, ...(host ? ['Host: app'] : []), ...headers].join(e) + e + e + b,
  );
const corpusEntry = fc.constantFrom(...SMUGGLING_CORPUS);
const mutatedEntry = fc
  .tuple(corpusEntry, fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'cut', 'insert'))
  .map(([s, at, byte, op]) => {
    const b = Buffer.from(s, 'latin1');
    const i = at % b.length;
    if (op === 'cut') return b.subarray(0, i).toString('latin1');
    if (op === 'flip') b[i] = byte;
    else return s.slice(0, i) + String.fromCharCode(byte) + s.slice(i);
    return b.toString('latin1');
  });
const input = fc
  .array(fc.oneof(corpusEntry, mutatedEntry, { weight: 3, arbitrary: request }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((parts) => parts.join(''));

// RFC 9110 §7.6.1: what a proxy drops; plus what the sidecar sets itself.
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'http2-settings',
]);
const SET_BY_PROXY = new Set(['host', 'x-forwarded-client-cert', 'traceparent', 'content-length']);

/** End-to-end headers as the reference read them: what must reach the app unchanged. */
function endToEnd(headers: http.IncomingHttpHeaders, upgrade: boolean): Record<string, unknown> {
  const listed = new Set(
    String(headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim()),
  );
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SET_BY_PROXY.has(name) || HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  if (upgrade) delete out.upgrade;
  return out;
}

const isUpgrade = (r: ParsedRequest): boolean =>
  /\bupgrade\b/i.test(String(r.headers.connection ?? '')) && r.headers.upgrade !== undefined;

function compare(i: number, ref: ParsedRequest, got: ParsedRequest, id: number): void {
  const where = `request ${i}`;
  if (got.method !== ref.method || got.url !== ref.url) {
    violation(
      `${where}: app read ${got.method} ${got.url}, the reference ${ref.method} ${ref.url}`,
    );
  }
  const want = endToEnd(ref.headers, isUpgrade(ref));
  const have = endToEnd(got.headers, isUpgrade(ref));
  if (!isDeepStrictEqual(have, want)) {
    violation(
      `${where}: app read headers ${JSON.stringify(have)}, the reference ${JSON.stringify(want)}`,
    );
  }
  if ((got.headers.host ?? '') !== (ref.headers.host ?? '')) {
    violation(
      `${where}: app read Host ${String(got.headers.host)}, the reference ${String(ref.headers.host)}`,
    );
  }
  if (got.headers['x-forwarded-client-cert'] !== xfccFor(id)) {
    violation(`${where}: app read XFCC ${String(got.headers['x-forwarded-client-cert'])}`);
  }
  const bodyOk =
    got.complete && ref.complete
      ? got.body.equals(ref.body)
      : ref.body.subarray(0, got.body.length).equals(got.body);
  if (!bodyOk)
    violation(
      `${where}: app read body ${JSON.stringify(got.body.toString('latin1'))}, the reference ${JSON.stringify(ref.body.toString('latin1'))}`,
    );
}

function checkAnswers(received: Buffer, ref: StrictParse): void {
  const heads = ref.requests.map((r) => r.method === 'HEAD');
  for (const res of parseResponses(received, heads)) {
    if (res.status >= 500 && res.headers['x-weft-error'] === 'internal') {
      violation(`the sidecar answered ${res.status} internal`);
    }
  }
}

/**
 * Pairs each forwarded request with a request the reference read. Pipelined
 * requests travel to the app over pooled connections, so they may arrive in any
 * order (the client still gets its answers in order); each must match one.
 */
function matchAll(
  forwarded: readonly ParsedRequest[],
  refs: readonly ParsedRequest[],
  id: number,
): void {
  const left = [...refs.keys()];
  for (const [i, got] of forwarded.entries()) {
    let firstError: unknown;
    const at = left.findIndex((j) => {
      try {
        compare(i, refs[j]!, got, id);
        return true;
      } catch (err) {
        firstError ??= err;
        return false;
      }
    });
    if (at === -1) throw firstError;
    left.splice(at, 1);
  }
}

let reference: StrictReference | undefined;
let sidecar: SidecarUnderTest | undefined;

export const http1Target: FuzzTarget<string> = {
  name: 'sidecar-http1',
  weight: 0.01,
  quickRuns: 20,
  maxMsPerInput: 6000,
  arbitrary: input,
  async open() {
    reference = new StrictReference();
    await reference.open(MAX_HEADER_BYTES);
    sidecar = new SidecarUnderTest();
    await sidecar.open();
  },
  async close() {
    await reference?.close();
    await sidecar?.close();
  },
  async check(text) {
    const bytes = Buffer.from(text, 'latin1');
    const ref = await reference!.parse(bytes);
    const s = sidecar!;
    const id = s.next();
    const final = ref.requests.filter((r) => r.complete).length;
    const heads = ref.requests.map((r) => r.method === 'HEAD');
    // A refusal closes the connection; bytes that end mid-request (EOF) just wait for more.
    const waitForClose = ref.error !== undefined && ref.error !== 'HPE_INVALID_EOF_STATE';
    const answer = await exchange(s.port, bytes, {
      halfClose: false,
      timeoutMs: 4000,
      enough: (got) => !waitForClose && parseResponses(got, heads).length >= final,
    });
    const stuck = await s.settle(id);
    if (stuck) violation(`${stuck} request(s) still inside the sidecar 2 s after the client left`);
    const forwarded = s.forwarded.get(xfccFor(id)) ?? [];
    s.forwarded.delete(xfccFor(id));
    const errors = s.upstreamErrors
      .splice(0)
      .filter((c) => c !== 'ECONNRESET' && c !== 'HPE_INVALID_EOF_STATE');
    if (errors.length)
      violation(`the app's strict parser refused what the sidecar forwarded: ${errors.join(', ')}`);
    if (forwarded.length > ref.requests.length) {
      violation(
        `the app received ${forwarded.length} requests, the reference read ${ref.requests.length}`,
      );
    }
    matchAll(forwarded, ref.requests, id);
    checkAnswers(answer.received, ref);
  },
};
