// Configuration files and command lines for the test cluster's node processes,
// as pure functions of the run's paths and address plan (see shared/NODE.md for
// why each setting is there).
import { stringify } from 'yaml';
import type { ClusterNetwork } from './network.js';

export const NODE_NAME = 'weft-node';
export const API_PORT = 6443;
/** The CNI network's name; libcni's cache files are named after it. */
export const CNI_NETWORK = 'weft-cluster';

export interface RunPaths {
  readonly dir: string;
  readonly containerdRoot: string;
  readonly kubeconfig: string;
  readonly caFile: string;
  readonly adminCertFile: string;
  readonly adminKeyFile: string;
  readonly saPrivateKeyFile: string;
}

export const containerdSocket = (dir: string): string => `${dir}/containerd/containerd.sock`;

/** containerd 1.6 with its own root, state and socket, never a system containerd's. */
export function containerdConfig(p: RunPaths): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${p.containerdRoot}"
state = "${p.dir}/containerd"
# opt writes /opt/containerd; the others probe filesystems we do not use.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${containerdSocket(p.dir)}"

[ttrpc]
  address = "${containerdSocket(p.dir)}.ttrpc"

[${cri}]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
  # "can't get final child's PID from pipe: EOF" (shared/NODE.md).
  restrict_oom_score_adj = true
  enable_selinux = false

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${p.dir}/cni"
  max_conf_num = 1
`;
}

/** One bridge network; host-local keeps its leases in the run directory. */
export function cniConfig(net: ClusterNetwork, dir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: CNI_NETWORK,
      plugins: [
        {
          type: 'bridge',
          bridge: net.bridge,
          isGateway: true,
          hairpinMode: true,
          ipMasq: false,
          ipam: {
            type: 'host-local',
            dataDir: `${dir}/ipam`,
            ranges: [
              [
                {
                  subnet: net.nodeCidr,
                  rangeStart: net.podRangeStart,
                  rangeEnd: net.podRangeEnd,
                  gateway: net.nodeIp,
                },
              ],
            ],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(net: ClusterNetwork, p: RunPaths): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    failSwapOn: false,
    cgroupDriver: 'cgroupfs',
    containerRuntimeEndpoint: `unix://${containerdSocket(p.dir)}`,
    address: net.nodeIp,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: p.caFile },
    },
    authorization: { mode: 'Webhook' },
    makeIPTablesUtilChains: false,
    protectKernelDefaults: false,
    resolvConf: `${p.dir}/resolv.conf`,
    clusterDomain: 'cluster.local',
    clusterDNS: [net.dnsIp],
    // A test node on a shared disk: evict only when truly out of room, never GC images.
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 110,
  });
}

export function corefile(net: ClusterNetwork, p: RunPaths, readyPort: number): string {
  return `.:53 {
  bind ${net.dnsIp}
  errors
  ready 127.0.0.1:${readyPort}
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${p.kubeconfig}
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  cache 5
}
`;
}

export function apiserverArgs(net: ClusterNetwork, p: RunPaths, etcdPort: number): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--bind-address=${net.nodeIp}`,
    `--advertise-address=${net.nodeIp}`,
    `--secure-port=${API_PORT}`,
    `--tls-cert-file=${p.dir}/apiserver.crt`,
    `--tls-private-key-file=${p.dir}/apiserver.key`,
    `--client-ca-file=${p.caFile}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    `--service-cluster-ip-range=${net.serviceCidr}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${p.dir}/sa.pub`,
    `--service-account-signing-key-file=${p.saPrivateKeyFile}`,
    // logs/exec: reach the kubelet by its IP, never by looking its name up on the host.
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${p.adminCertFile}`,
    `--kubelet-client-key=${p.adminKeyFile}`,
  ];
}

export function controllerManagerArgs(net: ClusterNetwork, p: RunPaths): string[] {
  return [
    `--kubeconfig=${p.kubeconfig}`,
    `--service-account-private-key-file=${p.saPrivateKeyFile}`,
    `--root-ca-file=${p.caFile}`,
    // No pod CIDR allocation: the bridge's host-local IPAM owns the range.
    '--controllers=*,-nodeipam',
    '--leader-elect=false',
    `--service-cluster-ip-range=${net.serviceCidr}`,
    '--secure-port=0',
  ];
}

export function schedulerArgs(p: RunPaths): string[] {
  return [`--kubeconfig=${p.kubeconfig}`, '--leader-elect=false', '--secure-port=0'];
}

export function kubeletArgs(net: ClusterNetwork, p: RunPaths): string[] {
  return [
    `--config=${p.dir}/kubelet.yaml`,
    `--kubeconfig=${p.kubeconfig}`,
    `--hostname-override=${NODE_NAME}`,
    `--node-ip=${net.nodeIp}`,
    `--root-dir=${p.dir}/kubelet`,
    `--cert-dir=${p.dir}/kubelet-pki`,
  ];
}

export function kubeProxyArgs(
  net: ClusterNetwork,
  p: RunPaths,
  ports: { health: number; metrics: number },
): string[] {
  return [
    `--kubeconfig=${p.kubeconfig}`,
    `--hostname-override=${NODE_NAME}`,
    '--proxy-mode=iptables',
    `--cluster-cidr=${net.nodeCidr}`,
    // Zeros: do not change the host's conntrack sysctls.
    '--conntrack-max-per-core=0',
    '--conntrack-tcp-timeout-established=0',
    '--conntrack-tcp-timeout-close-wait=0',
    `--nodeport-addresses=${net.nodeIp}/32`,
    `--healthz-bind-address=127.0.0.1:${ports.health}`,
    `--metrics-bind-address=127.0.0.1:${ports.metrics}`,
  ];
}
