// `npm run cluster`: the one-node test cluster in the foreground. Prints
// KUBECONFIG=<path> once the node is Ready and the `default` ServiceAccount
// exists; Ctrl-C or SIGTERM stops it and removes everything it made.
import { startCluster } from './cluster.js';

const log = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

async function run(): Promise<void> {
  log('starting a one-node cluster (etcd, kube-apiserver, containerd, kubelet, ...)');
  const cluster = await startCluster({ onProgress: log });
  log(`ready in ${cluster.startupMs} ms; press Ctrl-C to stop`);
  process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
  const shutdown = (signal: string): void => {
    log(`${signal}: stopping`);
    cluster.stop().then(
      () => {
        log('stopped; processes, mounts, network namespaces, bridge and chains removed');
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
