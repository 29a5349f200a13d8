import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runDiscoveryCommand } from './command.js';

const WEFT = path.resolve(import.meta.dirname, '../cli/weft.js');

describe('weft discovery', () => {
  it('is a weft command, with its tuning flags in its help', () => {
    const r = spawnSync(process.execPath, [WEFT, 'discovery', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const flag of [
      '--debounce-ms',
      '--debounce-max-ms',
      '--ping-interval-ms',
      '--ping-deadline-ms',
    ])
      assert.ok(r.stdout.includes(flag), flag);
    const list = spawnSync(process.execPath, [WEFT, '--help'], { encoding: 'utf8' });
    assert.match(list.stdout, /discovery\s+Run discovery alone/);
  });

  it('refuses to start without its certificate, naming the flags', async () => {
    await assert.rejects(
      runDiscoveryCommand(['--listen', '127.0.0.1:0']),
      /--tls-cert, --tls-key and --roots/,
    );
    await assert.rejects(runDiscoveryCommand(['--ping-deadline-ms', 'soon']), /--ping-deadline-ms/);
  });
});
