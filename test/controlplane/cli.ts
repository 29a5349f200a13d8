// `npm run testenv`: a real control plane in the foreground for a developer.
// Prints KUBECONFIG=<path> once ready; stops and cleans up on Ctrl-C or SIGTERM.
import { startControlPlane } from './testenv.js';

const log = (line: string): void => {
  process.stderr.write(`[testenv] ${line}\n`);
};

async function run(): Promise<void> {
  log('starting etcd and kube-apiserver...');
  const cp = await startControlPlane({ onProgress: log });
  log(`ready in ${cp.startupMs} ms; press Ctrl-C to stop`);
  process.stdout.write(`KUBECONFIG=${cp.kubeconfigPath}\n`);
  const shutdown = (signal: string): void => {
    log(`${signal}: stopping`);
    cp.stop().then(
      () => {
        log('stopped, temporary files removed');
        process.exit(0);
      },
      (err: unknown) => {
        log(`stop failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

run().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
