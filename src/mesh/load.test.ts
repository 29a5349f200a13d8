import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { ErrorCode, WeftError } from '../errors.js';
import { parseMeshConfig } from './load.js';

// Found by the parser fuzzing (test/fuzz/targets/mesh-config.ts): the YAML parser's
// time grows faster than the input with flow nesting, so 4 KB of brackets took
// half a second. A real mesh config nests five levels deep.
describe('mesh config loader bounds', () => {
  for (const open of ['[', '{a: ']) {
    it(`refuses ${JSON.stringify(open)} nested 4000 deep quickly, naming the limit`, () => {
      const started = performance.now();
      assert.throws(
        () => parseMeshConfig(open.repeat(4000), 'deep.yaml'),
        (err: unknown) =>
          err instanceof WeftError &&
          err.code === ErrorCode.ConfigInvalid &&
          /nested deeper than 32/.test(err.message),
      );
      assert.ok(performance.now() - started < 50, 'refused before the YAML parser runs');
    });
  }

  it('is not fooled by an apostrophe inside a plain scalar', () => {
    assert.throws(
      () => parseMeshConfig(`clusterDomain: it's\n${'['.repeat(100)}`, 'x.yaml'),
      /nested deeper/,
    );
  });

  it('counts brackets inside quoted strings and comments as text', () => {
    const text = `clusterDomain: "${'['.repeat(100)}" # ${'{'.repeat(100)}\nservices: []\n`;
    assert.equal(parseMeshConfig(text, 'quoted.yaml').clusterDomain, '['.repeat(100));
  });
});
