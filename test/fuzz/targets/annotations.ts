// Pod annotations (webhook/annotations.ts) and the capture spec they become
// (src/capture/capture-spec.ts): a pod author writes these. Every set of
// annotations is read into overrides or refused with bad_request; accepted
// capture settings survive the trip through weft-init's flags unchanged.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  CAPTURE_FLAGS,
  captureArgs,
  defaultCapture,
  parseCaptureArgs,
} from '../../../src/capture/capture-spec.js';
import type { CaptureSpec } from '../../../src/capture/capture-spec.js';
import { ErrorCode } from '../../../src/errors.js';
import { Annotation, readOverrides } from '../../../webhook/annotations.js';
import { anyString, mutated, near } from '../arbitraries.js';
import type { FuzzTarget } from '../target.js';
import { parsesOrRefuses, violation } from '../target.js';

const ports = near(['80', '8080', '1', '65535', '0', '15020', ',', ' ', '*', '99999'], 10);
const cidrs = near(
  ['10.0.0.0/8', '0.0.0.0/0', '::/0', 'fd00::/8', '1.2.3.4/32', '256.1.1.1/8', '/', ',', ':', '33'],
  6,
);
const quantity = near(['1', '100', 'm', 'Mi', 'Gi', '.', '5', 'e3', '+', 'Ki', 'E'], 6);
const image = near(['ghcr.io', '/', 'weft', ':', '1.0', '@sha256:', 'a'.repeat(64), '.', '-'], 8);
const annotationValue = fc.oneof(ports, cidrs, quantity, image, anyString, mutated(ports));

const annotationKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...Object.values(Annotation)) },
  fc.constantFrom('weft.dev/', 'weft.dev/Include-Inbound-Ports', 'example.com/x', '__proto__'),
  anyString.map((s) => `weft.dev/${s}`),
);
const annotations = fc.dictionary(annotationKey, annotationValue, { maxKeys: 6 });

const flagValue = fc.oneof(ports, cidrs, anyString, fc.constantFrom('1337', '4294967295'));
const flags = fc.dictionary(fc.constantFrom(...CAPTURE_FLAGS), flagValue, { maxKeys: 9 });

const portList = fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 5 });
const v4 = fc
  .tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }))
  .map(([ip, bits]) => `${ip}/${bits}`);
const v6 = fc
  .tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }))
  .filter(([ip]) => !ip.includes('.'))
  .map(([ip, bits]) => `${ip}/${bits}`);
const spec: fc.Arbitrary<CaptureSpec> = fc.record({
  proxyUid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  proxyGid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  inboundPort: fc.integer({ min: 1, max: 65535 }),
  outboundPort: fc.integer({ min: 1, max: 65535 }),
  includeInboundPorts: fc.oneof(fc.constant('*' as const), portList),
  excludeInboundPorts: portList,
  includeOutboundPorts: portList,
  excludeOutboundPorts: portList,
  excludeOutboundCidrs: fc.array(fc.oneof(v4, v6), { maxLength: 4 }),
});

type Input =
  | { kind: 'annotations'; value: Record<string, string> }
  | { kind: 'flags'; value: Record<string, string> }
  | { kind: 'roundtrip'; value: CaptureSpec };

/** `--name=value` arguments back into the record parseArgs would make of them. */
function argsToRecord(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    args.map((a) => {
      const eq = a.indexOf('=');
      return [a.slice(2, eq), a.slice(eq + 1)];
    }),
  );
}

export const annotationsTarget: FuzzTarget<Input> = {
  name: 'annotations',
  weight: 6,
  quickRuns: 1000,
  maxMsPerInput: 50,
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: annotations.map((value) => ({ kind: 'annotations' as const, value })) },
    flags.map((value) => ({ kind: 'flags' as const, value })),
    spec.map((value) => ({ kind: 'roundtrip' as const, value })),
  ),
  check(i) {
    if (i.kind === 'annotations') {
      parsesOrRefuses(() => readOverrides(i.value), [ErrorCode.BadRequest]);
    } else if (i.kind === 'flags') {
      parsesOrRefuses(
        () => parseCaptureArgs(i.value),
        [ErrorCode.BadRequest, ErrorCode.ConfigInvalid],
      );
    } else {
      const back = parseCaptureArgs(argsToRecord(captureArgs(i.value)));
      const expected = { ...defaultCapture, ...i.value };
      if (!isDeepStrictEqual(back, expected)) {
        violation(`capture spec changed through weft-init's flags: ${JSON.stringify(back)}`);
      }
    }
  },
};
