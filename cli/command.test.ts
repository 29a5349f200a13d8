import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ExitCode, dispatch } from './command.js';
import type { Command } from './command.js';

function capture(): { out: string[]; err: string[]; restore: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  const o = mock.method(process.stdout, 'write', (s: string) => out.push(s) > 0);
  const e = mock.method(process.stderr, 'write', (s: string) => err.push(s) > 0);
  return { out, err, restore: () => (o.mock.restore(), e.mock.restore()) };
}

describe('dispatch', () => {
  const echo: Command = {
    name: 'echo',
    summary: 'Echo arguments',
    run: (args) => Promise.resolve(args.length),
  };

  it('runs the named command with the remaining arguments', async () => {
    assert.equal(await dispatch('weft', [echo], ['echo', 'a', 'b']), 2);
  });

  it('lists commands on --help and exits 0', async () => {
    const io = capture();
    const code = await dispatch('weft', [echo], ['--help']);
    io.restore();
    assert.equal(code, ExitCode.Ok);
    assert.match(io.out.join(''), /echo\s+Echo arguments/);
  });

  it('rejects an unknown command with a usage exit code', async () => {
    const io = capture();
    const code = await dispatch('weft', [echo], ['frobnicate']);
    io.restore();
    assert.equal(code, ExitCode.Usage);
    assert.match(io.err.join(''), /unknown command "frobnicate"/);
  });

  it('with no command prints usage to stderr and exits 2', async () => {
    const io = capture();
    const code = await dispatch('weft', [echo], []);
    io.restore();
    assert.equal(code, ExitCode.Usage);
    assert.match(io.err.join(''), /Usage: weft <command>/);
  });
});
