// `weft control-plane --kubeconfig PATH --register` against a fresh cluster (no
// weft-system namespace, no CRDs), from outside it: a bare boolean --register, the
// namespace and CRDs created when the user may, one line saying what to apply
// first when it may not.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiextensionsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { writeKubeconfig } from '../controlplane/kubeconfig.js';
import { startControlPlane } from '../controlplane/testenv.js';
import type { ControlPlane } from '../controlplane/testenv.js';
import { startWeft } from '../support/weft-process.js';

const LOCAL = ['--ca-listen', '127.0.0.1:0', '--webhook-listen', '127.0.0.1:0'];

describe('first run of weft control-plane --register against a fresh cluster', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  it('says in one line what to apply first when the user may not create the namespace and CRDs', async () => {
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({
      namespace: 'default',
      body: { metadata: { name: 'no-rights' } },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: 'no-rights',
      namespace: 'default',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const kubeconfig = path.join(cp.dir, 'no-rights.kubeconfig');
    writeKubeconfig(kubeconfig, {
      server: cp.server,
      caCert: cp.caCert,
      token: token.status?.token ?? '',
    });
    const weft = startWeft(['control-plane', '--kubeconfig', kubeconfig, '--register', ...LOCAL]);
    assert.equal(await weft.exited, 1);
    const errors = weft.output.filter((l) => l.startsWith('weft:'));
    assert.equal(errors.length, 1, weft.output.join('\n'));
    assert.equal(
      errors[0],
      'weft: namespace weft-system and CRD authorizationpolicies.weft.dev and CRD ' +
        'peerauthentications.weft.dev and CRD trafficpolicies.weft.dev and CRD ' +
        'workloadidentities.weft.dev missing and this user may not create them: apply ' +
        'manifests/00-namespace.yaml manifests/crds/authorizationpolicies.weft.dev.yaml ' +
        'manifests/crds/peerauthentications.weft.dev.yaml ' +
        'manifests/crds/trafficpolicies.weft.dev.yaml ' +
        'manifests/crds/workloadidentities.weft.dev.yaml (from the weft package) first, e.g. ' +
        'kubectl apply -f manifests/00-namespace.yaml ' +
        '-f manifests/crds/authorizationpolicies.weft.dev.yaml ' +
        '-f manifests/crds/peerauthentications.weft.dev.yaml ' +
        '-f manifests/crds/trafficpolicies.weft.dev.yaml ' +
        '-f manifests/crds/workloadidentities.weft.dev.yaml',
    );
  });

  it('takes a bare --register, creates the namespace and CRDs, and comes up', async () => {
    const weft = startWeft([
      'control-plane',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--register',
      ...LOCAL,
    ]);
    try {
      await weft.waitFor(/registered webhook configuration/);
      const created = weft.output.filter((l) => l.includes('created a missing prerequisite'));
      assert.equal(created.length, 5, weft.output.join('\n'));
      const ns = await cp.kubeConfig
        .makeApiClient(CoreV1Api)
        .readNamespace({ name: 'weft-system' });
      assert.equal(ns.metadata?.labels?.['app.kubernetes.io/part-of'], 'weft');
      const crd = await cp.kubeConfig
        .makeApiClient(ApiextensionsV1Api)
        .readCustomResourceDefinition({ name: 'workloadidentities.weft.dev' });
      assert.equal(crd.spec.group, 'weft.dev');
    } finally {
      assert.equal(await weft.signal('SIGTERM'), 0);
    }
  });

  it('accepts --register=false (no registration, so no prerequisites are touched)', async () => {
    const weft = startWeft([
      'control-plane',
      '--kubeconfig',
      cp.kubeconfigPath,
      '--register=false',
      ...LOCAL,
    ]);
    try {
      await weft.waitFor(/"CA ready"/);
      assert.equal(weft.output.filter((l) => l.includes('registered webhook')).length, 0);
    } finally {
      await weft.signal('SIGTERM');
    }
  });
});
