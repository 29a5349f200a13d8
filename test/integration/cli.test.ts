// The built `weft` binary, run as a user would: version and help.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../src/cli/weft.js');

describe('weft CLI', () => {
  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [bin, 'version']);
    assert.match(stdout, /^weft \d+\.\d+\.\d+ \(node v\d+/);
  });

  it('lists its commands on --help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    assert.match(stdout, /Usage: weft <command>/);
    assert.match(stdout, /version/);
  });

  it('exits 2 on an unknown command', async () => {
    await assert.rejects(run(process.execPath, [bin, 'nope']), (err: { code?: number }) => {
      assert.equal(err.code, 2);
      return true;
    });
  });
});
