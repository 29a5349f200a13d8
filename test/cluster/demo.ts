// `sudo npm start`: a one-node cluster with weft installed the way users install it
// (kubectl apply -k manifests/) and a demo namespace of two meshed echo apps.
// Prints what to try; Ctrl-C or SIGTERM removes everything.
import { startCluster } from './cluster.js';
import { installWeft, kubectlOk } from './journey-support.js';
import { echoApp } from './workloads.js';
import { kubectlBinary } from '../support/kubectl.js';

const log = (line: string): void => {
  process.stderr.write(`[weft-demo] ${line}\n`);
};

async function run(): Promise<void> {
  log('starting a one-node cluster ...');
  const cluster = await startCluster({ onProgress: log });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping and cleaning up`);
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`stop failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  const kc = cluster.kubeconfigPath;
  log(`cluster ready in ${cluster.startupMs} ms; installing weft: kubectl apply -k manifests/`);
  await installWeft(kc, '120s');
  await kubectlOk(kc, ['create', 'namespace', 'demo']);
  await kubectlOk(kc, ['label', 'namespace', 'demo', 'weft.dev/inject=enabled']);
  await kubectlOk(
    kc,
    ['apply', '-f', '-'],
    `${echoApp('alpha', 'demo')}---\n${echoApp('beta', 'demo')}`,
  );
  for (const app of ['alpha', 'beta']) {
    await kubectlOk(kc, ['rollout', 'status', '-n', 'demo', `deploy/${app}`, '--timeout=120s']);
  }
  process.stdout.write(`
weft is installed and the demo namespace is meshed. Try:

  export KUBECONFIG=${kc}
  alias kubectl=${kubectlBinary}
  kubectl get pods -A
  kubectl -n demo exec deploy/alpha -c app -- node /echo/echo-app.js call http://beta.demo.svc.cluster.local:8080/hi
  kubectl -n demo logs deploy/alpha -c weft-proxy
  npm link && kubectl weft audit -A      # npm link puts kubectl-weft on PATH

Ctrl-C stops the cluster and removes everything it made.
`);
}

run().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.kill(process.pid, 'SIGTERM');
});
