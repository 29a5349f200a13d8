// Violations the fuzzing found in code another branch is fixing right now. Each is
// matched narrowly (error class, message, target), counted and printed by every
// run instead of stopping it, so the rest of that target keeps being fuzzed.
// `known findings still reproduce` (fuzz.test.ts) fails once a fix lands: then
// delete the entry, and the property is strict again.
import { FuzzViolation } from './target.js';

export interface KnownFinding {
  readonly id: string;
  readonly target: string;
  /** Who fixes it, and where the failure is. */
  readonly note: string;
  readonly matches: (err: unknown) => boolean;
  /** An input that shows it, for the still-reproduces test. */
  readonly reproducer: unknown;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  {
    id: 'h2-repeated-field-with-empty-value-dropped',
    target: 'sidecar-http2',
    note:
      'sidecar branch: an HTTP/2 request carrying a field twice, one value empty ("x-a: b", "x-a: "; cookies alike) ' +
      'reaches the sidecar as x-a: "b, " (Node joins repeated fields with ", "); forwardHttp2 ' +
      '(sidecar/forward-http2.ts, headers from forwardHeaders(req.headers)) sends that joined value, ' +
      'which ends in whitespace, invalid in HTTP/2, and the field never reaches the app: a direct ' +
      'Node server reads x-a: "b, ". Forwarding req.rawHeaders pairs keeps each field as sent',
    matches: (err: unknown): boolean =>
      err instanceof FuzzViolation &&
      /^app read fields .*the client sent .*[,;] "/.test(err.message),
    reproducer: [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/x'],
      [':authority', 'app'],
      ['x-a', 'b'],
      ['x-a', ''],
    ],
  },
  {
    id: 'http1-pipelined-request-never-finishes',
    target: 'sidecar-http1',
    note:
      'sidecar branch: pipelined requests followed by bytes llhttp refuses (here a stray "0\\r\\n\\r\\n" ' +
      'after a body-less GET) leave one request inside the inbound stack (its forward promise, ' +
      'sidecar/forward-pooled.ts) still unsettled 2 s after the client connection closed: a leak a ' +
      'peer can repeat at will (one per connection)',
    matches: (err: unknown): boolean =>
      err instanceof FuzzViolation &&
      /still inside the sidecar 2 s after the client left/.test(err.message),
    reproducer:
      'POST /upload HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' +
      'GET /admin HTTP/1.1\r\nHost: app\r\n\r\nGET / HTTP/1.1\r\n\r\n0\r\n\r\n',
  },
];

export function knownFinding(target: string, err: unknown): KnownFinding | undefined {
  return KNOWN_FINDINGS.find((k) => k.target === target && k.matches(err));
}
