// Smoke suite: proves, against a real kube-apiserver and etcd, every API the CA,
// the webhook and the plugin will lean on. Each step asserts what it relies on.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  AuthenticationV1Api,
  CertificatesV1Api,
  CoreV1Api,
  CustomObjectsApi,
} from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { KeyType, generateKeyPair, signingAlgorithmFor, x509 } from '../../src/pki/index.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { createNamespace, eventually, uniqueName } from '../support/cluster.js';
import { kubectl } from '../support/kubectl.js';
import { createTestCa } from '../support/test-ca.js';

describe('test control plane (real kube-apiserver + etcd)', () => {
  let cp: ControlPlane;
  const ns = uniqueName('smoke');
  const sa = 'workload';

  before(async () => {
    cp = await startControlPlane();
    await createNamespace(cp.kubeConfig, ns);
  });
  after(async () => {
    await cp?.stop();
  });

  it('creates a ServiceAccount', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    const got = await core.readNamespacedServiceAccount({ namespace: ns, name: sa });
    assert.equal(got.metadata?.name, sa);
  });

  async function requestToken(audience: string): Promise<string> {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: sa,
      body: { spec: { audiences: [audience], expirationSeconds: 600 } },
    });
    assert.ok(tr.status?.token, 'TokenRequest returned a token');
    return tr.status.token;
  }

  async function review(token: string, audience: string): Promise<Record<string, unknown>> {
    const auth = cp.kubeConfig.makeApiClient(AuthenticationV1Api);
    const res = await auth.createTokenReview({
      body: { spec: { token, audiences: [audience] } },
    });
    return { ...res.status };
  }

  it('TokenReview authenticates a weft-ca token as the ServiceAccount', async () => {
    const token = await requestToken('weft-ca');
    const status = await review(token, 'weft-ca');
    assert.equal(status.authenticated, true);
    assert.equal(
      (status.user as { username?: string }).username,
      `system:serviceaccount:${ns}:${sa}`,
    );
    assert.deepEqual(status.audiences, ['weft-ca']);
  });

  it('TokenReview refuses a token minted for another audience', async () => {
    const token = await requestToken('someone-else');
    const status = await review(token, 'weft-ca');
    assert.notEqual(status.authenticated, true);
  });

  it('TokenReview refuses a forged token', async () => {
    const token = await requestToken('weft-ca');
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    claims.sub = `system:serviceaccount:kube-system:admin`;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${token.split('.')[2]}`;
    const status = await review(forged, 'weft-ca');
    assert.notEqual(status.authenticated, true);
  });

  it('a CSR for signer weft.dev/workload is approved through /approval and issued through /status', async () => {
    const keys = await generateKeyPair(KeyType.EcdsaP256);
    const spiffe = `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: signingAlgorithmFor(KeyType.EcdsaP256),
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffe }])],
    });
    const api = cp.kubeConfig.makeApiClient(CertificatesV1Api);
    const name = uniqueName('smoke-csr');
    await api.createCertificateSigningRequest({
      body: {
        metadata: { name },
        spec: {
          signerName: 'weft.dev/workload',
          request: Buffer.from(csr.toString('pem')).toString('base64'),
          usages: ['digital signature', 'client auth', 'server auth'],
          expirationSeconds: 3600,
        },
      },
    });

    const created = await api.readCertificateSigningRequest({ name });
    created.status = {
      conditions: [
        {
          type: 'Approved',
          status: 'True',
          reason: 'SmokeTest',
          message: 'approved by the smoke test',
        },
      ],
    };
    await api.replaceCertificateSigningRequestApproval({ name, body: created });

    const ca = await createTestCa();
    const cert = await ca.sign(await csr.publicKey.export(), 'CN=', { uris: [spiffe] });
    const approved = await api.readCertificateSigningRequest({ name });
    approved.status = {
      ...approved.status,
      certificate: Buffer.from(cert.toString('pem')).toString('base64'),
    };
    await api.replaceCertificateSigningRequestStatus({ name, body: approved });

    const issued = await api.readCertificateSigningRequest({ name });
    assert.equal(issued.status?.conditions?.[0]?.type, 'Approved');
    const pem = Buffer.from(issued.status?.certificate ?? '', 'base64').toString();
    const stored = new x509.X509Certificate(pem);
    const san = stored.getExtension(x509.SubjectAlternativeNameExtension);
    assert.deepEqual(
      san?.names.items.map((n) => n.value),
      [spiffe],
    );
    const shown = await kubectl(cp.kubeconfigPath, ['get', 'csr', name, '--no-headers']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Approved,Issued/);
  });

  it('serves a CRD and an instance of it', async () => {
    const ext = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const group = 'smoke.weft.dev';
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1alpha1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await eventually('the CRD to be established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `widgets.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
    const objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const body = { apiVersion: `${group}/v1alpha1`, kind: 'Widget', metadata: { name: 'w1' } };
    await eventually('the CRD to serve instances', () =>
      objects
        .createNamespacedCustomObject({
          group,
          version: 'v1alpha1',
          namespace: ns,
          plural: 'widgets',
          body: { ...body, spec: { size: 3 } },
        })
        .then(() => true),
    );
    const got = (await objects.getNamespacedCustomObject({
      group,
      version: 'v1alpha1',
      namespace: ns,
      plural: 'widgets',
      name: 'w1',
    })) as { spec: { size: number } };
    assert.equal(got.spec.size, 3);
  });

  it('calls a MutatingWebhookConfiguration on pod create and stores its patch', async () => {
    const ca = await createTestCa('smoke-webhook-ca');
    const tls = await ca.serving({ ips: ['127.0.0.1'] });
    const seen: string[] = [];
    const server = https.createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString()) as {
          request: { uid: string; object: V1Pod };
        };
        seen.push(review.request.object.metadata?.name ?? '');
        const patch = [{ op: 'add', path: '/metadata/annotations', value: { smoke: 'mutated' } }];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: review.request.uid,
              allowed: true,
              patchType: 'JSONPatch',
              patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const hookNs = uniqueName('smoke-hook');
    await createNamespace(cp.kubeConfig, hookNs, { 'smoke.weft.dev/hook': 'on' });
    try {
      const admission = cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
      await admission.createMutatingWebhookConfiguration({
        body: {
          metadata: { name: uniqueName('smoke-hook') },
          webhooks: [
            {
              name: 'smoke.weft.dev',
              clientConfig: {
                url: `https://127.0.0.1:${port}/mutate`,
                caBundle: Buffer.from(ca.certPem).toString('base64'),
              },
              rules: [
                {
                  operations: ['CREATE'],
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  resources: ['pods'],
                },
              ],
              namespaceSelector: { matchLabels: { 'smoke.weft.dev/hook': 'on' } },
              admissionReviewVersions: ['v1'],
              sideEffects: 'None',
              failurePolicy: 'Fail',
              timeoutSeconds: 5,
            },
          ],
        },
      });
      const core = cp.kubeConfig.makeApiClient(CoreV1Api);
      // A new configuration takes a moment to reach the admission chain.
      let attempt = 0;
      const stored = await eventually('the webhook to mutate a pod', async () => {
        const pod = await core.createNamespacedPod({
          namespace: hookNs,
          body: {
            metadata: { name: `app-${attempt++}` },
            spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
          },
        });
        return pod.metadata?.annotations?.smoke === 'mutated' ? pod : undefined;
      });
      const reread = await core.readNamespacedPod({
        namespace: hookNs,
        name: stored.metadata!.name!,
      });
      assert.equal(reread.metadata?.annotations?.smoke, 'mutated');
      assert.ok(seen.includes(stored.metadata!.name!), 'the webhook saw the pod');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers the real kubectl binary', async () => {
    const res = await kubectl(cp.kubeconfigPath, ['get', 'ns', '-o', 'name']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /namespace\/kube-system/);
    assert.match(res.stdout, new RegExp(`namespace/${ns}`));
  });
});
