#!/usr/bin/env bash
# Tears down one test-cluster run, idempotently, from what the run recorded in its
# directory: stops its processes (newest first, by recorded PID), kills leftover
# container tasks, runs kube-proxy --cleanup, unmounts everything under the run's
# and containerd's directories (deepest first), deletes the network namespaces our
# containerd made, the bridge, the KUBE-*/CNI-* iptables chains, the pod log dirs,
# the kubepods cgroups, restores the sysctls it changed, and removes the directory.
# Used by stop() and by the reaper (which first waits for the starting process):
#   test/cluster/teardown.sh <run-dir> [--after-pid PID]
set -uo pipefail
dir=${1:?usage: teardown.sh <run-dir> [--after-pid PID]}
if [ "${2:-}" = "--after-pid" ]; then
  while kill -0 "$3" 2>/dev/null; do sleep 1; done
fi
[ -f "$dir/state.env" ] || { rm -rf "$dir"; exit 0; }
# shellcheck disable=SC1091
. "$dir/state.env" # BRIDGE NODE_BINS CONTAINERD_ROOT KUBECONFIG_FILE SYSCTL_* NETNS_BEFORE LOGS_BEFORE
exec 9>"$dir/teardown.lock"
flock 9
log() { printf '[cluster-teardown] %s\n' "$*" >&2; }

ctr_() { ctr --address "$dir/containerd/containerd.sock" -n k8s.io "$@"; }

stop_pid() { # name pid grace-seconds
  local name=$1 pid=$2 grace=$3 i
  kill -0 "$pid" 2>/dev/null || return 0
  # Only a process still running the binary we started (PIDs get reused). CoreDNS's
  # binary is coredns-slim (test/cluster/build.sh), recorded under the name coredns.
  case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in */"$name" | */"$name"-slim) ;; *) return 0 ;; esac
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

pid_of() { awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$dir/pids" 2>/dev/null; }

# 1. Node agents first, so nothing restarts what we stop next.
for name in kube-proxy coredns kubelet kube-scheduler kube-controller-manager; do
  pid=$(pid_of "$name"); [ -n "$pid" ] && stop_pid "$name" "$pid" 10
done
# 2. Containers: kill every task (the pods' processes), then containerd.
if [ -S "$dir/containerd/containerd.sock" ]; then
  for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1; done
  # containerd's root persists (imported images); its containers must not.
  for c in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$c" >/dev/null 2>&1; done
fi
pid=$(pid_of containerd); [ -n "$pid" ] && stop_pid containerd "$pid" 10
# Shims outlive containerd by design: stop the ones serving our state dir.
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $dir/" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
for name in kube-apiserver etcd; do
  pid=$(pid_of "$name"); [ -n "$pid" ] && stop_pid "$name" "$pid" 10
done

# 3. kube-proxy's own cleanup of its rules, then any KUBE-*/CNI-* chain left.
[ -x "$NODE_BINS/kube-proxy" ] && "$NODE_BINS/kube-proxy" --cleanup >/dev/null 2>&1
for cmd in iptables ip6tables; do
  if "$cmd-save" 2>/dev/null | grep -q -e 'KUBE-' -e 'CNI-'; then
    "$cmd-save" | awk '/^:(KUBE|CNI)-/ { next } /^-A/ && /(KUBE|CNI)-/ { next } { print }' | "$cmd-restore"
  fi
done

# 4. Mounts under our directories, deepest first (lazy: a dying shim may hold one).
for root in "$dir" "$CONTAINERD_ROOT"; do
  awk -v r="$root/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
done

# 5. Network namespaces our containerd made (cni-*, absent before the run).
for ns in $(ls /var/run/netns 2>/dev/null | grep '^cni-'); do
  case " $NETNS_BEFORE " in *" $ns "*) ;; *) ip netns delete "$ns" 2>/dev/null ;; esac
done
ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"
rm -f /var/lib/cni/results/weft-cluster-* 2>/dev/null

# 6. Pod logs and cgroups the kubelet made.
for d in /var/log/pods/* /var/log/containers/*; do
  [ -e "$d" ] || [ -L "$d" ] || continue
  case " $LOGS_BEFORE " in *" $(basename "$d") "*) ;; *) rm -rf "$d" ;; esac
done
for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
  [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
done

# 7. Sysctls back to what they were.
sysctl -qw "net.ipv4.ip_forward=$SYSCTL_IP_FORWARD" >/dev/null 2>&1
sysctl -qw "net.ipv4.conf.all.route_localnet=$SYSCTL_ROUTE_LOCALNET" >/dev/null 2>&1
[ -n "${SYSCTL_BRIDGE_NF:-}" ] && sysctl -qw "net.bridge.bridge-nf-call-iptables=$SYSCTL_BRIDGE_NF" >/dev/null 2>&1

exec 9>&-
rm -rf "$dir"
