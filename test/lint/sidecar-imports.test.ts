// Every meshed pod waits for its sidecar's modules to load before the app starts:
// on a busy 2-core node that was ~3 s, and @peculiar/x509 with its ASN.1 schemas
// (~250 modules, ~0.8 s) was loaded only to write one certificate request. This
// keeps libraries the sidecar does not need out of its import graph.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dist = path.resolve(import.meta.dirname, '../..');

/** The npm packages (CommonJS) a fresh process has loaded after importing `module`. */
async function packagesLoadedBy(module: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(path.join(dist, module))});
    const names = Object.keys(createRequire(import.meta.url).cache)
      .map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1])
      .filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

/** The CommonJS files under node_modules a fresh process has loaded after importing `modules`. */
async function filesLoadedBy(modules: readonly string[]): Promise<string[]> {
  const imports = modules.map((m) => `await import(${JSON.stringify(path.join(dist, m))});`);
  const script = `
    import { createRequire } from 'node:module';
    ${imports.join('\n')}
    const files = Object.keys(createRequire(import.meta.url).cache)
      .map((f) => /node_modules\\/(.+)$/.exec(f)?.[1])
      .filter(Boolean);
    process.stdout.write(JSON.stringify(files));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

describe("the sidecar's import graph", () => {
  // Resident memory, measured with the whole module set loaded (sidecar/admin.ts and
  // sidecar/undici-pool.ts): Express +2.9 MB, undici's index (fetch, WebSocket, the
  // cache, the mocks) +6.1 MB over undici's Pool alone.
  it('loads neither Express nor more of undici than its Pool', async () => {
    const files = await filesLoadedBy([
      'sidecar/command.js',
      'sidecar/proxy.js',
      'sidecar/admin.js',
    ]);
    assert.ok(
      files.includes('undici/lib/dispatcher/pool.js'),
      `the probe sees CommonJS files: ${files.length}`,
    );
    const heavy = files.filter((f) =>
      /^(express|body-parser|router)\/|^undici\/(index\.js|lib\/(web|mock|cache)\/)/.test(f),
    );
    assert.deepEqual(heavy, []);
  });

  it('does not load @peculiar/x509, tsyringe or the ASN.1 schemas', async () => {
    const loaded = await packagesLoadedBy('sidecar/command.js');
    assert.ok(
      loaded.includes('prom-client'),
      `the probe sees CommonJS packages: ${loaded.join(', ')}`,
    );
    const heavy = loaded.filter((p) => /^@peculiar\/|^tsyringe$|^reflect-metadata$/.test(p));
    assert.deepEqual(heavy, []);
  });
});
