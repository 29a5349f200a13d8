import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { boolFlag } from './fields.js';
import { parseConfig, parseFlags } from './parse.js';

const spec = { register: { boolean: true }, kubeconfig: {} };
const Schema = z.strictObject({
  register: boolFlag.default(false),
  kubeconfig: z.string().optional(),
});
const parse = (args: string[]): z.infer<typeof Schema> =>
  parseConfig(Schema, parseFlags(args, spec));

describe('parseFlags boolean flags', () => {
  it('reads a bare boolean flag as true, as every CLI user expects', () => {
    assert.deepEqual(parse(['--kubeconfig', 'k', '--register']), {
      kubeconfig: 'k',
      register: true,
    });
    assert.equal(parse(['--register', '--kubeconfig', 'k']).register, true);
  });

  it('takes =true / =false and the older separate true/false argument', () => {
    assert.equal(parse(['--register=false']).register, false);
    assert.equal(parse(['--register=true']).register, true);
    assert.equal(parse(['--register', 'true']).register, true);
    assert.equal(parse(['--register', 'false']).register, false);
    assert.equal(parse([]).register, false);
  });

  it('names the flag when the value is not a boolean', () => {
    assert.throws(() => parse(['--register=maybe']), /--register:/);
    assert.throws(() => parse(['--register', 'maybe']), /Unexpected argument 'maybe'/);
  });

  it('still requires a value for string flags', () => {
    assert.throws(() => parse(['--kubeconfig']), /argument missing/);
  });
});
