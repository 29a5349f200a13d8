// Finds the node binaries test/cluster/build.sh caches (kubelet, kube-controller-manager,
// kube-scheduler, kube-proxy, coredns) beside the control plane's (etcd,
// kube-apiserver); a missing one is a clear error that says how to build it.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { findBinaries } from '../controlplane/binaries.js';
import { clusterSourceDir } from './host.js';

export interface NodeBinaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubelet: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubeProxy: string;
  readonly coredns: string;
}

export function findNodeBinaries(): NodeBinaries {
  const script = path.join(clusterSourceDir, 'build.sh');
  const dir = execFileSync(script, ['--print-dir'], { encoding: 'utf8' }).trim();
  const node = {
    kubelet: path.join(dir, 'kubelet'),
    kubeControllerManager: path.join(dir, 'kube-controller-manager'),
    kubeScheduler: path.join(dir, 'kube-scheduler'),
    kubeProxy: path.join(dir, 'kube-proxy'),
    coredns: path.join(dir, 'coredns-slim'),
  };
  for (const file of Object.values(node)) {
    try {
      accessSync(file, constants.X_OK);
    } catch (cause) {
      throw new Error(`test cluster binary ${file} is missing: run 'npm run cluster:build' first`, {
        cause,
      });
    }
  }
  return { dir, ...findBinaries(), ...node };
}
