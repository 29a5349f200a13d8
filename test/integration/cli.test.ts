// The built `weft` binary, run as a user would: version and help.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../cli/weft.js');

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

  it('wait-ready waits for the health URL, and gives up after its timeout', async () => {
    let ready = false;
    const server = http.createServer((_req, res) => {
      res.statusCode = ready ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz/ready`;
    try {
      const waiting = run(process.execPath, [
        bin,
        'wait-ready',
        '--url',
        url,
        '--timeout-seconds',
        '20',
      ]);
      setTimeout(() => (ready = true), 600);
      await waiting; // resolves only on exit code 0
      ready = false;
      await assert.rejects(
        run(process.execPath, [bin, 'wait-ready', '--url', url, '--timeout-seconds', '1']),
        (err: { code?: number; stderr?: string }) =>
          err.code === 1 && /not ready after 1 s/.test(err.stderr ?? ''),
      );
    } finally {
      server.close();
    }
  });

  it('refuses a bad flag value, naming the flag', async () => {
    await assert.rejects(
      run(process.execPath, [bin, 'ca', '--listen', 'nowhere']),
      (err: { code?: number; stderr?: string }) =>
        err.code === 2 && /--listen: expected HOST:PORT/.test(err.stderr ?? ''),
    );
  });

  it('exits 2 on an unknown command', async () => {
    await assert.rejects(run(process.execPath, [bin, 'nope']), (err: { code?: number }) => {
      assert.equal(err.code, 2);
      return true;
    });
  });
});
