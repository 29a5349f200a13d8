// The CA's issuer over its life, against a real API server: a plugged-in root used
// directly as the issuer (empty chain.pem, as the README documents), an issuer too
// close to expiry (503, not zero-lifetime certificates), automatic renewal under an
// online root, and `weft ca renew-issuer` for an offline one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { startCa } from '../../ca/main.js';
import type { CaDeps, RunningCa } from '../../ca/main.js';
import { generateMaterial, toSecretData } from '../../ca/ca-material.js';
import { encodeSecretData } from '../../ca/ca-store.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';
import {
  KeyType,
  buildCertificate,
  generateKeyPair,
  joinPem,
  privateKeyToPem,
  x509,
} from '../../src/pki/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, uniqueName } from '../support/cluster.js';
import { makeCsr } from '../support/csr.js';
import { request } from '../support/https.js';
import { caConfigFor, installManifests } from '../support/weft-ca.js';

const run = promisify(execFile);
const weft = path.resolve(import.meta.dirname, '../../cli/weft.js');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function selfSigned(subject: string, notAfter: Date) {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const certificate = await buildCertificate(
    {
      subject,
      serialNumber: '01',
      notBefore: new Date(Date.now() - HOUR),
      notAfter,
      publicKey: keys.publicKey,
      ca: { pathLength: 1 },
    },
    { privateKey: keys.privateKey, keyType: KeyType.EcdsaP256 },
  );
  return { certificate, key: keys.privateKey };
}

describe('the CA issuer over its life', () => {
  let cp: ControlPlane;
  const ns = uniqueName('issuer');
  const running: RunningCa[] = [];
  const lines: string[] = [];

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    await createNamespace(cp.kubeConfig, ns);
  });
  after(async () => {
    await Promise.all(running.map((c) => c.stop()));
    await cp?.stop();
  });

  /** A CA as the admin (these Secret names are not the shipped RBAC's). */
  async function ca(secretName: string, extra: Record<string, unknown> = {}, deps: CaDeps = {}) {
    const c = await startCa(
      caConfigFor(cp.kubeconfigPath, { secretName, ...extra }),
      createRegistry('ca'),
      createLogger({}, 'info', (l) => lines.push(l)),
      deps,
    );
    running.push(c);
    return c;
  }

  async function putSecret(name: string, stringData: Record<string, string>): Promise<void> {
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: 'weft-system',
      body: { metadata: { name }, stringData },
    });
  }

  async function issue(c: RunningCa) {
    return request(`https://127.0.0.1:${c.port}/v1/certificates`, {
      ca: c.roots(),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await createToken(cp, ns, 'default')}`,
      },
      body: JSON.stringify({ csr: (await makeCsr()).pem }),
    });
  }

  it('starts and issues with a plugged-in root as the issuer and an empty chain.pem', async () => {
    const root = await selfSigned('CN=byo root', new Date(Date.now() + 365 * DAY));
    await putSecret('weft-ca-byo-root', {
      'roots.pem': joinPem([root.certificate]),
      'issuer.crt': joinPem([root.certificate]),
      'issuer.key': await privateKeyToPem(root.key),
      'chain.pem': '',
    });
    const c = await ca('weft-ca-byo-root');
    const res = await issue(c);
    assert.equal(res.status, 201, res.body);
    const [leaf] = res
      .json<{ certChain: string[] }>()
      .certChain.map((p) => new x509.X509Certificate(p));
    assert.ok(await leaf!.verify({ publicKey: root.certificate.publicKey, signatureOnly: true }));
  });

  it('refuses with 503 and a clear message to issue from an issuer about to expire', async () => {
    const root = await selfSigned('CN=short root', new Date(Date.now() + 30 * 60_000));
    await putSecret('weft-ca-short', {
      'roots.pem': joinPem([root.certificate]),
      'issuer.crt': joinPem([root.certificate]),
      'issuer.key': await privateKeyToPem(root.key),
    });
    const c = await ca('weft-ca-short');
    const res = await issue(c);
    assert.equal(res.status, 503, res.body);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.match(res.body, /issuer_unusable.*expires at .* within 3600 s.*renew-issuer/);
  });

  /** weft-generated material as if made 300 days ago: the 365-day intermediate is due for renewal. */
  async function agedSecret(name: string, online: boolean) {
    const past = { now: () => new Date(Date.now() - 300 * DAY) };
    const material = await generateMaterial({ trustDomain: 'cluster.local', clock: past });
    const data = await toSecretData(online ? material : { authority: material.authority });
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: 'weft-system',
      body: {
        metadata: { name, labels: { 'weft.dev/ca': 'generated' } },
        data: encodeSecretData(data),
      },
    });
    if (!online) {
      const rootKey = (await toSecretData(material))['root.key']!;
      await putSecret(`${name}-root`, { 'root.key': rootKey });
    }
    return material.authority;
  }

  it('renews its intermediate under the same root well before expiry, with an online root', async () => {
    const name = uniqueName('weft-ca-online');
    const aged = await agedSecret(name, true);
    const c = await ca(name, { onlineRoot: 'true' });
    const renewed = c.authority();
    assert.notEqual(renewed.issuer.serialNumber, aged.issuer.serialNumber);
    assert.equal(c.roots(), joinPem(aged.roots), 'same root: the trust bundles do not change');
    assert.ok(
      await renewed.issuer.verify({ publicKey: aged.roots[0]!.publicKey, signatureOnly: true }),
    );
    assert.ok(renewed.issuer.notAfter.getTime() - Date.now() > 300 * DAY);
    const res = await issue(c);
    assert.equal(res.status, 201, res.body);
    // Still the renewed one a few reloads later: renewal happens once, not every tick.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(c.authority().issuer.serialNumber, renewed.issuer.serialNumber);
  });

  it('with an offline root, only says renewal is due; `weft ca renew-issuer` renews it', async () => {
    const name = uniqueName('weft-ca-offline');
    const aged = await agedSecret(name, false);
    const c = await ca(name, { rootKeySecretName: `${name}-root` });
    assert.equal(
      c.authority().issuer.serialNumber,
      aged.issuer.serialNumber,
      'no root key, no renewal',
    );
    assert.ok(lines.some((l) => /renew it with `weft ca renew-issuer`/.test(l)));
    const { stdout } = await run(process.execPath, [
      weft,
      'ca',
      'renew-issuer',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--secret-name',
      name,
      '--root-key-secret-name',
      `${name}-root`,
    ]);
    assert.match(stdout, /renew-issuer: done/);
    await new Promise((r) => setTimeout(r, 2500));
    assert.notEqual(c.authority().issuer.serialNumber, aged.issuer.serialNumber);
    assert.equal(c.roots(), joinPem(aged.roots));
    assert.equal((await issue(c)).status, 201);
  });
});
