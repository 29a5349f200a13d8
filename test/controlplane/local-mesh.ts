// `npm start`: weft's main job on one machine, in one command: a local mesh. A real
// kube-apiserver and etcd, weft's CA, and three pods as network namespaces (a
// client and two echo servers) with weft-init's iptables rules, their apps and
// `weft sidecar` as UID 1337 carrying mTLS between them. Prints what to try, then
// stays up until Ctrl-C, which stops everything and cleans up. Needs root.
import { startMesh } from '../support/mesh-fixture.js';

const say = (line: string): void => void process.stderr.write(`[weft mesh] ${line}\n`);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    say('the local mesh needs root (network namespaces and iptables); try: sudo npm start');
    process.exit(2);
  }
  say('starting kube-apiserver + etcd, the CA, three pods and their sidecars…');
  const mesh = await startMesh({ servers: 2, accessLog: true });
  const c = mesh.client.pod;
  const [s1, s2] = mesh.servers;
  const first = await mesh.call<{ results: { status: number; pod: string; xfcc: string }[] }>(
    'http',
    'http://echo/hello',
    4,
  );
  say(`first requests from the client app: ${JSON.stringify(first.results.map((r) => r.pod))}`);
  process.stdout.write(`
A local mesh is running (namespace ${mesh.namespace}):
  client  ${c.ip}   netns ${c.ns}
  echo-1  ${s1!.pod.ip}   netns ${s1!.pod.ns}
  echo-2  ${s2!.pod.ip}   netns ${s2!.pod.ns}
Service "echo" (ClusterIP 203.0.113.10: 80 http, 9090 grpc, 5432 tcp) → echo-1, echo-2.

Try, in another terminal (as root):
  ip netns exec ${c.ns} curl -s http://echo/hi            # per-request balancing, mTLS, XFCC
  ip netns exec ${c.ns} curl -s --http2-prior-knowledge http://echo:9090/x
  ip netns exec ${c.ns} curl -s localhost:15000/certs      # the client's workload certificate
  ip netns exec ${c.ns} curl -s localhost:15000/config_dump
  curl -s http://${s1!.pod.ip}:15020/stats/prometheus | grep istio_requests_total
  curl -sv http://${s1!.pod.ip}:8080/                      # plaintext from outside: refused (STRICT)
The mesh config is ${mesh.meshConfigFile} (edit it: sidecars reload within a second).
Kubernetes: KUBECONFIG=${mesh.cp.kubeconfigPath}

Ctrl-C stops everything.
`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    mesh.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Echo the sidecars' access logs as they come.
  for (const p of [mesh.client, ...mesh.servers]) {
    p.sidecar.child.stdout!.on('data', (b: Buffer) =>
      process.stdout.write(`${p.name} ${b.toString()}`),
    );
  }
}

main().catch((err: unknown) => {
  say(`failed: ${String(err)}`);
  process.exit(1);
});
