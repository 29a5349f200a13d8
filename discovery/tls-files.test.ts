import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../src/log.js';
import { createEphemeralCa } from '../src/pki/ephemeral-ca.js';
import type { EphemeralCa } from '../src/pki/ephemeral-ca.js';
import type { DiscoveryTls } from './main.js';
import { loadTls, reloadTls, tlsProblem } from './tls-files.js';

const sans = { uris: ['spiffe://cluster.local/ns/weft-system/sa/weft-control-plane'] };

describe("discovery's certificate files", () => {
  let ca: EphemeralCa;
  let one: { cert: string; key: string };
  let two: { cert: string; key: string };
  let dir: string;
  const files = { cert: '', key: '', roots: '' };
  before(async () => {
    ca = await createEphemeralCa('discovery-test', 3_600_000);
    one = await ca.serving(sans);
    two = await ca.serving(sans);
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-dtls-'));
    files.cert = path.join(dir, 'tls.crt');
    files.key = path.join(dir, 'tls.key');
    files.roots = path.join(dir, 'roots.pem');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names what is wrong with a set it cannot serve', () => {
    const ok = { ...one, roots: ca.certPem };
    const cases: [string, DiscoveryTls, RegExp | undefined][] = [
      ['a good set', ok, undefined],
      ['another certificate key', { ...ok, key: two.key }, /does not match the certificate/],
      ['no certificate', { ...ok, cert: 'garbage' }, /no readable certificate/],
      ['no key', { ...ok, key: 'garbage' }, /no readable private key/],
      ['no roots', { ...ok, roots: '' }, /roots file holds no certificate/],
      [
        'a root that does not parse',
        { ...ok, roots: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        /does not parse/,
      ],
    ];
    for (const [name, tls, want] of cases) {
      const problem = tlsProblem(tls);
      if (want) assert.match(problem ?? '', want, name);
      else assert.equal(problem, undefined, name);
    }
  });

  it('refuses to start on a bad set, naming it', async () => {
    writeFileSync(files.cert, one.cert);
    writeFileSync(files.key, two.key);
    writeFileSync(files.roots, ca.certPem);
    await assert.rejects(
      loadTls(files),
      /invalid TLS files: the key does not match the certificate/,
    );
  });

  it('applies a new valid set once, and keeps the last good one over a bad one', async () => {
    writeFileSync(files.key, one.key);
    const first = await loadTls(files);
    const applied: DiscoveryTls[] = [];
    const logs: string[] = [];
    const stop = reloadTls(files, first, {
      intervalMs: 20,
      apply: (t) => applied.push(t),
      log: createLogger({}, 'info', (l) => logs.push(l)),
    });
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
    try {
      await settle();
      assert.equal(applied.length, 0, 'unchanged files are not applied again');
      writeFileSync(files.cert, two.cert); // the key still the old one: half a rotation
      await settle();
      assert.equal(applied.length, 0);
      assert.equal(logs.filter((l) => l.includes('discovery TLS files refused')).length, 1);
      writeFileSync(files.key, two.key);
      await settle();
      assert.deepEqual(
        applied.map((t) => t.cert),
        [two.cert],
      );
      assert.ok(logs.some((l) => l.includes('discovery TLS credentials reloaded')));
    } finally {
      stop();
    }
  });
});
