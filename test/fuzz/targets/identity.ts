// SPIFFE IDs (src/identity.ts): what a peer certificate, a CSR or the mesh config
// carries. Parses to an identity whose URI is the input, or a bad_request refusal.
import fc from 'fast-check';
import { ErrorCode } from '../../../src/errors.js';
import { identityFromUsername, parseSpiffeId } from '../../../src/identity.js';
import { anyString, mutated, near } from '../arbitraries.js';
import type { FuzzTarget } from '../target.js';
import { parsesOrRefuses, violation } from '../target.js';

const segment = near(['a', 'b', 'z', '0', '9', '-', '.', 'shop', 'web', 'default'], 8);
const spiffeLike = fc
  .tuple(segment, segment, segment, fc.constantFrom('ns', 'NS', 'sa', 'x', ''))
  .map(([td, ns, sa, word]) => `spiffe://${td}/${word || 'ns'}/${ns}/sa/${sa}`);
const valid = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9._-]{1,40}$/),
    fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
    fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?(\.[a-z0-9]{1,5}){0,3}$/),
  )
  .map(([td, ns, sa]) => `spiffe://${td}/ns/${ns}/sa/${sa}`);

type Input = { kind: 'uri'; text: string } | { kind: 'username'; text: string; td: string };

const input: fc.Arbitrary<Input> = fc.oneof(
  fc.oneof(valid, spiffeLike, mutated(valid), anyString).map((text) => ({
    kind: 'uri' as const,
    text,
  })),
  fc
    .tuple(
      fc.oneof(
        segment.map((s) => `system:serviceaccount:${s}`),
        fc.tuple(segment, segment).map(([a, b]) => `system:serviceaccount:${a}:${b}`),
        anyString,
      ),
      fc.oneof(fc.constant('cluster.local'), segment),
    )
    .map(([text, td]) => ({ kind: 'username' as const, text, td })),
);

export const identityTarget: FuzzTarget<Input> = {
  name: 'spiffe-id',
  weight: 6,
  quickRuns: 1000,
  maxMsPerInput: 50,
  arbitrary: input,
  check(i) {
    if (i.kind === 'username') {
      parsesOrRefuses(() => identityFromUsername(i.text, i.td), [ErrorCode.BadRequest]);
      return;
    }
    const id = parsesOrRefuses(() => parseSpiffeId(i.text), [ErrorCode.BadRequest]);
    if (id && id.uri !== i.text) violation(`parsed ${JSON.stringify(i.text)} into ${id.uri}`);
  },
};
