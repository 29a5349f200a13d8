// Generators shared by the fuzz targets: strings that stay near the grammar a
// parser expects (so mutations reach deep code) mixed with anything at all.
import fc from 'fast-check';

/** Characters that matter to the grammars here: separators, case, controls, non-ASCII. */
const SPICE = [
  '',
  ' ',
  '\t',
  '\r',
  '\n',
  '\0',
  ',',
  ':',
  '/',
  '.',
  '-',
  '_',
  '*',
  '=',
  ';',
  '"',
  '\\',
  '%',
  '@',
  '[',
  ']',
  'A',
  'Z',
  'é',
  '\u00ff',
  '\u2028',
  '\ud800',
  '🙂',
  '0',
  '9',
  '65536',
  '-1',
  '1e3',
  'ＡＢ',
  '\u0130',
];

export const spice: fc.Arbitrary<string> = fc.constantFrom(...SPICE);

/** A string built from pieces of `alphabet` and spice: near-valid most of the time. */
export function near(pieces: readonly string[], maxLength = 12): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pieces) }, spice), {
      maxLength,
    })
    .map((parts) => parts.join(''));
}

/** Any string: ASCII-heavy, with full Unicode and lone surrogates sometimes. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 80 }) },
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('a', '-', '.', '/', ':', ','), maxLength: 300 }),
);

/** One mutation applied to a string: insert, delete, replace or duplicate a slice. */
export function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.nat(), fc.nat({ max: 8 }), fc.oneof(spice, anyString), fc.nat({ max: 3 }))
    .map(([s, at, len, piece, op]) => {
      const i = s.length ? at % (s.length + 1) : 0;
      if (op === 0) return s.slice(0, i) + piece + s.slice(i);
      if (op === 1) return s.slice(0, i) + s.slice(i + len);
      if (op === 2) return s.slice(0, i) + piece + s.slice(i + len);
      return s.slice(0, i) + s.slice(i, i + len).repeat(3) + s.slice(i + len);
    });
}
