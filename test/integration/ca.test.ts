// The CA against a real kube-apiserver: tokens from TokenRequest become SPIFFE
// certificates; every bad input is refused with a precise 4xx; trust bundles,
// key persistence, the CSR API path and issuance records all hold.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CertificatesV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { startCa } from '../../ca/main.js';
import type { RunningCa } from '../../ca/main.js';
import { createLogger } from '../../src/log.js';
import { WEFT_MANIFESTS, caConfigFor, installManifests, startTestCa } from '../support/weft-ca.js';
import type { TestCa } from '../support/weft-ca.js';
import { createRegistry } from '../../src/metrics.js';
import { KeyType, parseCertificates, x509 } from '../../src/pki/index.js';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, createToken, eventually, uniqueName } from '../support/cluster.js';
import { makeCsr, tamperSignature } from '../support/csr.js';
import {
  OID,
  attribute,
  basicConstraintsExtension,
  extensions,
  handmadeCsr,
  sanExtension,
} from '../fixtures/pki/handmade-csr.js';
import { request } from '../support/https.js';
import { kubectl } from '../support/kubectl.js';

describe('weft ca against a real control plane', () => {
  let cp: ControlPlane;
  let ca: RunningCa;
  let testCa: TestCa;
  const ns = uniqueName('ca');
  const sa = 'payments';
  const spiffe = `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  before(async () => {
    cp = await startControlPlane();
    await installManifests(cp);
    const dryRun = await kubectl(cp.kubeconfigPath, [
      'apply',
      '--dry-run=server',
      ...WEFT_MANIFESTS,
    ]);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    await createNamespace(cp.kubeConfig, ns);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    // The CA runs as its own ServiceAccount, so every test here also proves the
    // shipped RBAC is enough.
    testCa = await startTestCa(cp);
    ca = testCa.ca;
  });
  after(async () => {
    await testCa?.ca.stop();
    await cp?.stop();
  });

  function token(audience = 'weft-ca', name = sa, pod?: string): Promise<string> {
    return createToken(cp, ns, name, { audience, ...(pod ? { pod } : {}) });
  }

  function post(body: unknown, bearer?: string, raw?: string) {
    return request(`https://127.0.0.1:${ca.port}/v1/certificates`, {
      ca: ca.roots(),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: raw ?? JSON.stringify(body),
    });
  }

  it('issues a certificate carrying exactly the token’s SPIFFE ID, chaining to the trust bundle', async () => {
    const csr = await makeCsr();
    const res = await post({ csr: csr.pem }, await token());
    assert.equal(res.status, 201, res.body);
    const body = res.json<{ certChain: string[]; spiffeId: string; trustBundle: string }>();
    assert.equal(body.spiffeId, spiffe);
    const [leaf, ...rest] = body.certChain.map((p) => new x509.X509Certificate(p));
    const san = leaf!.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san?.names.items.map((n) => [n.type, n.value]),
      [['url', spiffe]],
    );
    const lifetime = (leaf!.notAfter.getTime() - leaf!.notBefore.getTime()) / 1000;
    assert.equal(lifetime, 86400 + 60, 'default 24 h lifetime (plus 60 s backdate)');
    // The chain verifies link by link up to a root that is in the namespace's bundle.
    const chain = await new x509.X509ChainBuilder({ certificates: rest }).build(leaf!);
    const root = chain[chain.length - 1]!;
    const bundle = await eventually('the trust bundle ConfigMap', async () => {
      const cm = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ namespace: ns, name: 'weft-trust-bundle' });
      return cm.data?.['roots.pem'];
    });
    assert.ok(
      parseCertificates(bundle).some((r) => r.equal(root)),
      'root is in the bundle',
    );
    assert.ok(await leaf!.verify({ publicKey: rest[0]!.publicKey, signatureOnly: true }));
    // The private key never left: the leaf is for the CSR's public key.
    const spki = await crypto.subtle.exportKey('spki', csr.keys.publicKey);
    assert.deepEqual(Buffer.from(leaf!.publicKey.rawData), Buffer.from(spki));
  });

  it('honours a requested lifetime up to the maximum, and accepts RSA 2048', async () => {
    const short = await post({ csr: (await makeCsr()).pem, ttlSeconds: 3600 }, await token());
    const s = short.json<{ notBefore: string; notAfter: string }>();
    assert.equal((Date.parse(s.notAfter) - Date.parse(s.notBefore)) / 1000, 3600 + 60);
    const long = await post(
      { csr: (await makeCsr({}, KeyType.Rsa2048)).pem, ttlSeconds: 30 * 86400 },
      await token(),
    );
    assert.equal(long.status, 201, long.body);
    const l = long.json<{ notBefore: string; notAfter: string }>();
    assert.equal((Date.parse(l.notAfter) - Date.parse(l.notBefore)) / 1000, 2 * 86400 + 60);
  });

  describe('refuses bad input with a precise 4xx and signs nothing', () => {
    const cases: [
      string,
      () => Promise<{ body?: unknown; bearer?: string; raw?: string }>,
      number,
      RegExp,
    ][] = [
      ['no token', async () => ({ body: { csr: (await makeCsr()).pem } }), 401, /token_missing/],
      [
        'a token for another audience',
        async () => ({ body: { csr: (await makeCsr()).pem }, bearer: await token('other') }),
        401,
        /token_invalid/,
      ],
      [
        'a forged token',
        async () => {
          const t = (await token()).split('.');
          return {
            body: { csr: (await makeCsr()).pem },
            bearer: `${t[0]}.${Buffer.from('{"sub":"x"}').toString('base64url')}.${t[2]}`,
          };
        },
        401,
        /token_invalid/,
      ],
      [
        'a garbage token',
        async () => ({ body: { csr: (await makeCsr()).pem }, bearer: 'not-a-jwt' }),
        401,
        /token_invalid/,
      ],
      [
        'a body that is not JSON',
        async () => ({ raw: '{csr:', bearer: await token() }),
        400,
        /not valid JSON/,
      ],
      [
        'JSON without a csr',
        async () => ({ body: { hello: 1 }, bearer: await token() }),
        400,
        /body must be JSON/,
      ],
      [
        'a CSR that is not PEM',
        async () => ({ body: { csr: 'hello' }, bearer: await token() }),
        400,
        /csr_malformed/,
      ],
      [
        'a PEM that is not a CSR',
        async () => ({
          body: {
            csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
          },
          bearer: await token(),
        }),
        400,
        /csr_malformed/,
      ],
      [
        'a CSR with a bad signature',
        async () => ({
          body: { csr: tamperSignature((await makeCsr()).pem) },
          bearer: await token(),
        }),
        400,
        /csr_signature_invalid/,
      ],
      [
        'an oversized body',
        async () => ({ raw: JSON.stringify({ csr: 'x'.repeat(70_000) }), bearer: await token() }),
        413,
        /body_too_large/,
      ],
      [
        'a CSR for another identity',
        async () => ({
          body: {
            csr: (await makeCsr({ uris: [`spiffe://cluster.local/ns/${ns}/sa/admin`] })).pem,
          },
          bearer: await token(),
        }),
        403,
        /asks for URI spiffe:\/\/cluster.local\/ns\/.*\/sa\/admin, but the token allows only URI spiffe:/,
      ],
      [
        'a CSR with DNS and IP names',
        async () => ({
          body: {
            csr: (await makeCsr({ uris: [spiffe], dns: ['evil.example'], ips: ['10.0.0.1'] })).pem,
          },
          bearer: await token(),
        }),
        403,
        /DNS evil.example, IP 10.0.0.1/,
      ],
      [
        'a CSR whose extensionRequest holds two values (what Go and OpenSSL show is the first)',
        async () => ({
          body: {
            csr: handmadeCsr({
              attributes: [
                attribute(OID.extensionRequest, extensions(), extensions(sanExtension(spiffe))),
              ],
            }),
          },
          bearer: await token(),
        }),
        400,
        /csr_malformed.*ambiguous/,
      ],
      [
        'a CSR without a SubjectPublicKeyInfo',
        async () => ({
          body: { csr: handmadeCsr({ omitPublicKey: true }) },
          bearer: await token(),
        }),
        400,
        /csr_malformed/,
      ],
      [
        'a negative ttl',
        async () => ({
          body: { csr: (await makeCsr()).pem, ttlSeconds: -5 },
          bearer: await token(),
        }),
        400,
        /ttlSeconds/,
      ],
    ];
    for (const [name, build, status, pattern] of cases) {
      it(name, async () => {
        const { body, bearer, raw } = await build();
        const res = await post(body, bearer, raw);
        assert.equal(res.status, status, res.body);
        assert.match(res.body, pattern);
        assert.doesNotMatch(res.body, /BEGIN CERTIFICATE-----/);
      });
    }
  });

  it('answers a token the API server refuses with a 401 that keeps the server’s reason to itself', async () => {
    const [h, p] = (await token()).split('.');
    const res = await post({ csr: (await makeCsr()).pem }, `${h}.${p}.AAAA`);
    assert.equal(res.status, 401, res.body);
    assert.deepEqual(res.json(), {
      error: { code: 'token_invalid', message: 'token is not valid for audience weft-ca' },
    });
  });

  it('keeps the root key out of the running CA: a Secret it can create but never read', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const caSecret = await core.readNamespacedSecret({ namespace: 'weft-system', name: 'weft-ca' });
    assert.deepEqual(Object.keys(caSecret.data ?? {}).sort(), [
      'chain.pem',
      'issuer.crt',
      'issuer.key',
      'roots.pem',
    ]);
    const rootSecret = await core.readNamespacedSecret({
      namespace: 'weft-system',
      name: 'weft-ca-root',
    });
    assert.ok(rootSecret.data?.['root.key'], 'the root key is kept for the admin');
    const asCa = await kubectl(testCa.kubeconfig, [
      '-n',
      'weft-system',
      'get',
      'secret',
      'weft-ca-root',
    ]);
    assert.notEqual(asCa.code, 0);
    assert.match(asCa.stderr, /forbidden/);
    assert.equal(
      testCa.logs.filter((l) => /weft-ca-root.*kubectl.*delete secret weft-ca-root/.test(l)).length,
      1,
      'one log line says how to move the key offline',
    );
  });

  it('may create ConfigMaps and Secrets only under the names its code uses', async () => {
    const asCa = (args: string[]) => kubectl(testCa.kubeconfig, args);
    const cm = await asCa(['-n', ns, 'create', 'configmap', 'not-a-bundle', '--from-literal=a=b']);
    assert.notEqual(cm.code, 0);
    assert.match(cm.stderr, /only the weft-trust-bundle ConfigMap/);
    const secret = await asCa([
      '-n',
      'weft-system',
      'create',
      'secret',
      'generic',
      'other',
      '--from-literal=a=b',
    ]);
    assert.notEqual(secret.code, 0);
    assert.match(secret.stderr, /only the weft-ca and weft-ca-root Secrets/);
  });

  it('stops issuing for a pod-bound token once its pod is deleted', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const pod = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: uniqueName('bound') },
        spec: {
          serviceAccountName: sa,
          containers: [{ name: 'app', image: 'example.invalid/app:1' }],
        },
      },
    });
    const bound = await token('weft-ca', sa, pod.metadata!.name);
    assert.equal((await post({ csr: (await makeCsr()).pem }, bound)).status, 201);
    await core.deleteNamespacedPod({
      namespace: ns,
      name: pod.metadata!.name!,
      gracePeriodSeconds: 0,
    });
    await eventually('the pod to be gone', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns });
      return pods.items.some((p) => p.metadata?.name === pod.metadata!.name) ? undefined : true;
    });
    // kube-apiserver caches successful token authentications for 10 s, so the
    // refusal comes within that window, not at once.
    const refused = await eventually(
      'the bound token to be refused',
      async () => {
        const res = await post({ csr: (await makeCsr()).pem }, bound);
        return res.status === 201 ? undefined : res;
      },
      30_000,
    );
    assert.equal(refused.status, 401, refused.body);
    assert.match(refused.body, /token_invalid/);
  });

  it('records each issuance on the identity’s WorkloadIdentity resource', async () => {
    const res = await post({ csr: (await makeCsr()).pem }, await token());
    const serial = res.json<{ serial: string }>().serial;
    const objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const record = await eventually('the issuance record', async () => {
      const obj = (await objects.getNamespacedCustomObject({
        group: 'weft.dev',
        version: 'v1alpha1',
        plural: 'workloadidentities',
        namespace: ns,
        name: sa,
      })) as {
        spec: { spiffeId: string };
        status?: { certificates?: { serial: string; path: string }[] };
      };
      return obj.status?.certificates?.some((c) => c.serial === serial) ? obj : undefined;
    });
    assert.equal(record.spec.spiffeId, spiffe);
    assert.equal(record.status!.certificates!.find((c) => c.serial === serial)!.path, 'sidecar');
  });

  it('publishes a trust bundle in a namespace created later', async () => {
    const later = uniqueName('later');
    await createNamespace(cp.kubeConfig, later);
    const pem = await eventually('a bundle in the new namespace', async () => {
      const cm = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ namespace: later, name: 'weft-trust-bundle' });
      return cm.data?.['roots.pem'];
    });
    assert.equal(pem, ca.roots());
  });

  it('repairs a trust bundle that was edited or deleted by hand', async () => {
    const t = await startTestCa(cp, { bundleResyncSeconds: '1' });
    try {
      const api = cp.kubeConfig.makeApiClient(CoreV1Api);
      const cm = await api.readNamespacedConfigMap({ namespace: ns, name: 'weft-trust-bundle' });
      await api.replaceNamespacedConfigMap({
        namespace: ns,
        name: 'weft-trust-bundle',
        body: { ...cm, data: { 'roots.pem': 'tampered\n' } },
      });
      const repaired = async (): Promise<true | undefined> => {
        const now = await api.readNamespacedConfigMap({ namespace: ns, name: 'weft-trust-bundle' });
        return now.data?.['roots.pem'] === t.ca.roots() ? true : undefined;
      };
      await eventually('the edited bundle repaired', repaired);
      await api.deleteNamespacedConfigMap({ namespace: ns, name: 'weft-trust-bundle' });
      await eventually('the deleted bundle recreated', repaired);
    } finally {
      await t.ca.stop();
    }
  });

  it('keeps its root across a restart, and two replicas starting together share one', async () => {
    const before = ca.roots();
    ca = await testCa.restart();
    assert.equal(ca.roots(), before);

    const [a, b] = await Promise.all([
      startCa(
        caConfigFor(cp.kubeconfigPath, { secretName: 'weft-ca-race' }),
        createRegistry('ca'),
        createLogger({}, 'error', () => undefined),
      ),
      startCa(
        caConfigFor(cp.kubeconfigPath, { secretName: 'weft-ca-race' }),
        createRegistry('ca'),
        createLogger({}, 'error', () => undefined),
      ),
    ]);
    try {
      assert.equal(a.roots(), b.roots());
      assert.equal(a.authority().issuer.serialNumber, b.authority().issuer.serialNumber);
      assert.notEqual(a.roots(), before);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  describe('Kubernetes CSR API (signer weft.dev/workload), driven by kubectl', () => {
    const csrApi = () => cp.kubeConfig.makeApiClient(CertificatesV1Api);

    before(async () => {
      // Let ServiceAccounts in the namespace submit CSRs, as a cluster admin would.
      const r = await kubectl(cp.kubeconfigPath, [
        'create',
        'clusterrolebinding',
        `${ns}-csr`,
        '--clusterrole=system:node-bootstrapper',
        `--group=system:serviceaccounts:${ns}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
    });

    async function submit(
      name: string,
      pemCsr: string,
      as?: string,
      usages = ['digital signature', 'client auth'],
    ) {
      const manifest = JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: {
          signerName: 'weft.dev/workload',
          request: Buffer.from(pemCsr).toString('base64'),
          usages,
          expirationSeconds: 7200,
        },
      });
      const file = `${cp.dir}/${name}.json`;
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, manifest);
      // A token-only kubeconfig, so the API server sees the ServiceAccount, not the admin cert.
      const config = as ? `${cp.dir}/${name}.kubeconfig` : cp.kubeconfigPath;
      if (as) writeKubeconfig(config, { server: cp.server, caCert: cp.caCert, token: as });
      const r = await kubectl(config, ['create', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
    }

    async function conditionOf(name: string, want: string) {
      return eventually(`CSR ${name} to be ${want}`, async () => {
        const csr = await csrApi().readCertificateSigningRequest({ name });
        const c = csr.status?.conditions?.find((x) => x.type === want);
        return want === 'Issued'
          ? csr.status?.certificate
            ? csr
            : undefined
          : c
            ? csr
            : undefined;
      });
    }

    it('auto-approves and signs a ServiceAccount asking for its own identity', async () => {
      const name = uniqueName('own');
      await submit(name, (await makeCsr({ uris: [spiffe] })).pem, await token(cp.server + '/'));
      const csr = await conditionOf(name, 'Issued');
      const approved = csr.status!.conditions!.find((c) => c.type === 'Approved')!;
      assert.equal(approved.reason, 'WeftAutoApproved');
      const [leaf] = parseCertificates(Buffer.from(csr.status!.certificate!, 'base64').toString());
      assert.deepEqual(
        leaf!.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value),
        [spiffe],
      );
      assert.equal((leaf!.notAfter.getTime() - leaf!.notBefore.getTime()) / 1000, 7200 + 60);
      const shown = await kubectl(cp.kubeconfigPath, ['get', 'csr', name, '--no-headers']);
      assert.match(shown.stdout, /Approved,Issued/);
    });

    it('denies a ServiceAccount asking for another identity, naming both', async () => {
      const name = uniqueName('other');
      const other = `spiffe://cluster.local/ns/${ns}/sa/admin`;
      await submit(name, (await makeCsr({ uris: [other] })).pem, await token(cp.server + '/'));
      const csr = await conditionOf(name, 'Denied');
      const denied = csr.status!.conditions!.find((c) => c.type === 'Denied')!;
      assert.match(denied.message!, new RegExp(`asks for URI ${other}.*allows only URI ${spiffe}`));
      assert.equal(csr.status?.certificate, undefined);
    });

    it('leaves a human’s CSR pending until `kubectl certificate approve`, then signs it', async () => {
      const name = uniqueName('human');
      await submit(name, (await makeCsr({ uris: [spiffe] })).pem);
      await new Promise((r) => setTimeout(r, 1500));
      const pending = await csrApi().readCertificateSigningRequest({ name });
      assert.equal(pending.status?.conditions, undefined, 'no decision without a human');
      const r = await kubectl(cp.kubeconfigPath, ['certificate', 'approve', name]);
      assert.equal(r.code, 0, r.stderr);
      await conditionOf(name, 'Issued');
    });

    it('fails an approved CSR that asks for DNS or IP names', async () => {
      const name = uniqueName('dns');
      await submit(name, (await makeCsr({ uris: [spiffe], dns: ['db.example'] })).pem);
      await kubectl(cp.kubeconfigPath, ['certificate', 'approve', name]);
      const csr = await conditionOf(name, 'Failed');
      assert.match(
        csr.status!.conditions!.find((c) => c.type === 'Failed')!.message!,
        /DNS db.example/,
      );
      assert.equal(csr.status?.certificate, undefined);
    });

    it('denies a CSR with two extensionRequest values before any human can approve it', async () => {
      // kubectl describe (Go) shows the first value: no SAN. The second names the control plane.
      const name = uniqueName('ambiguous');
      const pem = handmadeCsr({
        commonName: spiffe,
        attributes: [
          attribute(
            OID.extensionRequest,
            extensions(basicConstraintsExtension()),
            extensions(sanExtension('spiffe://cluster.local/ns/weft-system/sa/weft-control-plane')),
          ),
        ],
      });
      await submit(name, pem);
      const csr = await conditionOf(name, 'Denied');
      const denied = csr.status!.conditions!.find((c) => c.type === 'Denied')!;
      assert.match(denied.message!, /ambiguous.*exactly one value/);
      await kubectl(cp.kubeconfigPath, ['certificate', 'approve', '--force', name]);
      await new Promise((r) => setTimeout(r, 1500));
      const after = await csrApi().readCertificateSigningRequest({ name });
      assert.equal(after.status?.certificate, undefined, 'never signed');
    });

    it('denies, never approves, a ServiceAccount’s own CSR with a usage it does not allow', async () => {
      const name = uniqueName('own-usage');
      await submit(name, (await makeCsr({ uris: [spiffe] })).pem, await token(cp.server + '/'), [
        'digital signature',
        'code signing',
      ]);
      const csr = await conditionOf(name, 'Denied');
      const types = csr.status!.conditions!.map((c) => c.type);
      assert.deepEqual(types, ['Denied']);
      assert.equal(csr.status!.conditions![0]!.reason, 'WeftUsageNotAllowed');
    });

    it('fails an approved CSR with a usage it does not allow', async () => {
      const name = uniqueName('usage');
      await submit(name, (await makeCsr({ uris: [spiffe] })).pem, undefined, [
        'digital signature',
        'code signing',
      ]);
      await kubectl(cp.kubeconfigPath, ['certificate', 'approve', name]);
      const csr = await conditionOf(name, 'Failed');
      assert.match(
        csr.status!.conditions!.find((c) => c.type === 'Failed')!.message!,
        /code signing/,
      );
    });
  });

  it('needed nothing its RBAC forbids', () => {
    assert.deepEqual(
      testCa.logs.filter((l) => /forbidden/i.test(l)),
      [],
    );
  });

  it('answers 503 with Retry-After when the API server is unreachable', async () => {
    const fresh = await token();
    await cp.stop();
    const res = await post({ csr: (await makeCsr()).pem }, fresh);
    assert.equal(res.status, 503, res.body);
    assert.ok(res.headers['retry-after']);
    assert.match(res.body, /unavailable/);
  });
});
