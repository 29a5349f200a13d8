// Root rotation end to end: `weft ca rotate-root add|switch|retire` run as a real
// process against the real API server, while workloads keep getting certificates.
// At every step each certificate issued so far verifies against the published bundle.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { parseCertificates, verifyChain, x509 } from '../../src/pki/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { makeCsr } from '../support/csr.js';
import { request } from '../support/https.js';
import { installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';

const run = promisify(execFile);
const weft = path.resolve(import.meta.dirname, '../../cli/weft.js');

describe('root rotation with overlap', () => {
  let cp: ControlPlane;
  let t: TestCa;
  const ns = uniqueName('rot');

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    await createNamespace(cp.kubeConfig, ns);
    t = await startTestCa(cp);
  });
  after(async () => {
    await t?.ca.stop();
    await cp?.stop();
  });

  async function issue(): Promise<{ status: number; chain: x509.X509Certificate[] }> {
    const tok = await createToken(cp, ns, 'default');
    const res = await request(`https://127.0.0.1:${t.ca.port}/v1/certificates`, {
      ca: t.ca.roots(),
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify({ csr: (await makeCsr()).pem }),
    });
    const chain =
      res.status === 201
        ? res.json<{ certChain: string[] }>().certChain.map((p) => new x509.X509Certificate(p))
        : [];
    return { status: res.status, chain };
  }

  async function bundle(): Promise<x509.X509Certificate[]> {
    const cm = await cp.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace: ns, name: 'weft-trust-bundle' });
    return parseCertificates(cm.data?.['roots.pem'] ?? '');
  }

  async function verifies(
    chain: x509.X509Certificate[],
    roots: x509.X509Certificate[],
  ): Promise<boolean> {
    const [leaf, ...rest] = chain;
    return (await verifyChain({ leaf: leaf!, intermediates: rest, roots })).ok;
  }

  async function rotate(...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const { stdout } = await run(process.execPath, [
        weft,
        'ca',
        'rotate-root',
        ...args,
        '--kubeconfig',
        cp.kubeconfigPath,
      ]);
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  }

  it('adds, switches and retires a root with no failed issuance and no untrusted certificate', async () => {
    // Steady traffic for the whole rotation; every answer must be a certificate.
    const statuses: number[] = [];
    let running = true;
    const traffic = (async () => {
      for (let i = 0; running && i < 2000; i++) {
        statuses.push((await issue()).status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    try {
      const a = await issue();
      const oldRoot = (await bundle())[0]!;
      assert.equal((await bundle()).length, 1);

      const added = await rotate('add');
      assert.equal(added.code, 0, added.out);
      const both = await eventually('both roots in the bundle', async () => {
        const b = await bundle();
        return b.length === 2 ? b : undefined;
      });
      assert.ok(await verifies(a.chain, both), 'old leaf still trusted after add');

      const switched = await rotate('switch');
      assert.equal(switched.code, 0, switched.out);
      assert.match(switched.out, /retire the old root after/);
      const b = await eventually('issuance from the new root', async () => {
        const r = await issue();
        return r.chain[r.chain.length - 1]!.equal(oldRoot) ? undefined : r;
      });
      const bundleNow = await bundle();
      assert.ok(await verifies(a.chain, bundleNow), 'old leaf trusted during overlap');
      assert.ok(await verifies(b.chain, bundleNow), 'new leaf trusted during overlap');

      const early = await rotate('retire');
      assert.notEqual(early.code, 0);
      assert.match(early.out, /may still anchor live certificates until/);

      const retired = await rotate('retire', '--force', 'true');
      assert.equal(retired.code, 0, retired.out);
      const last = await eventually('the old root to leave the bundle', async () => {
        const r = await bundle();
        return r.length === 1 ? r : undefined;
      });
      assert.equal(last[0]!.equal(oldRoot), false);
      assert.ok(await verifies(b.chain, last), 'new leaf trusted after retire');
      assert.equal(
        await verifies(a.chain, last),
        false,
        'old leaf no longer trusted once forced out',
      );
    } finally {
      running = false;
      await traffic;
    }
    assert.ok(statuses.length > 10, `traffic ran (${statuses.length} requests)`);
    assert.deepEqual(
      statuses.filter((s) => s !== 201),
      [],
    );
  });
});
