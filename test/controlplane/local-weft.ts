// `npm run start:control-plane`: the control plane on a laptop. A real kube-apiserver
// and etcd (the test control plane), `weft control-plane --register` against them,
// a namespace labelled for injection with a pod created in it, and the real
// kubectl + kubectl-weft ready to use. Ctrl-C stops everything and cleans up.
// (Pods stay Pending: there is no kubelet; `npm start` runs a mesh with traffic.)
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startLocalControlPlane } from '../support/weft-process.js';
import { installManifests } from '../support/weft-ca.js';
import { createNamespace, eventually } from '../support/cluster.js';
import { kubectlBinary } from '../support/kubectl.js';
import { PLUGIN_JS } from '../support/plugin.js';
import { startControlPlane } from './testenv.js';
import type { ControlPlane } from './testenv.js';
import { CertificateAgent } from '../../src/cert-agent/agent.js';
import { createLogger } from '../../src/log.js';
import { createRegistry } from '../../src/metrics.js';

const log = (line: string): void => void process.stderr.write(`[weft local] ${line}\n`);

async function podCertificate(cp: ControlPlane, podName: string, caPort: number): Promise<string> {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: 'demo',
    name: 'default',
    body: {
      spec: {
        audiences: ['weft-ca'],
        expirationSeconds: 3600,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName },
      },
    },
  });
  const tokenFile = path.join(cp.dir, 'demo-token');
  const bundleFile = path.join(cp.dir, 'demo-roots.pem');
  writeFileSync(tokenFile, tr.status!.token);
  const cm = await eventually('the demo trust bundle', () =>
    core.readNamespacedConfigMap({ namespace: 'demo', name: 'weft-trust-bundle' }),
  );
  writeFileSync(bundleFile, cm.data!['roots.pem']!);
  const agent = new CertificateAgent({
    caUrl: `https://127.0.0.1:${caPort}`,
    tokenFile,
    trustBundleFile: bundleFile,
    registry: createRegistry('agent'),
    log: createLogger({ component: 'agent' }, 'warn'),
  });
  const cert = await agent.start();
  agent.stop();
  return cert.serial;
}

log('starting kube-apiserver and etcd...');
const cp = await startControlPlane({ onProgress: log });
log('applying manifests/ (namespace, CRDs, RBAC, webhook configuration)');
await installManifests(cp);
log('starting weft control-plane --register ...');
const { weft, caPort } = await startLocalControlPlane(cp.kubeconfigPath);
const stop = async (code: number): Promise<never> => {
  log('stopping weft and the control plane');
  if (weft.child.exitCode === null) await weft.signal('SIGTERM');
  await cp.stop();
  process.exit(code);
};
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(cp.kubeConfig, 'demo', { 'weft.dev/inject': 'enabled' });
  const pod = await eventually('an injected demo pod', async () => {
    const p = await core.createNamespacedPod({
      namespace: 'demo',
      body: {
        metadata: { generateName: 'web-', labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    });
    return p.spec?.initContainers?.some((c) => c.name === 'weft-proxy') ? p : undefined;
  });
  // What the pod's sidecar would do first: a pod-bound token in, a certificate out.
  const serial = await podCertificate(cp, pod.metadata!.name!, caPort);
  log(
    `issued a certificate (serial ${serial}) to demo/${pod.metadata!.name} through the certificate agent`,
  );
  // kubectl and kubectl-weft on a PATH of their own, for the commands printed below.
  const bin = path.join(cp.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'kubectl-weft'),
    `#!/bin/sh\nexec "${process.execPath}" "${PLUGIN_JS}" "$@"\n`,
  );
  writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nexec "${kubectlBinary}" "$@"\n`);
  chmodSync(path.join(bin, 'kubectl-weft'), 0o755);
  chmodSync(path.join(bin, 'kubectl'), 0o755);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name).join(', ');
  process.stdout.write(
    [
      '',
      `weft is up. Pod demo/${pod.metadata!.name} was injected (init containers: ${init}).`,
      'In another terminal:',
      '',
      `  export KUBECONFIG=${cp.kubeconfigPath} PATH=${bin}:$PATH`,
      '  kubectl get pods -n demo -o yaml          # the injected pod',
      '  kubectl weft check',
      '  kubectl weft identities -A',
      '  kubectl weft audit -A',
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  await stop(1);
}
