#!/usr/bin/env bash
# Builds the test cluster's node binaries from the Go module proxy into a cache
# outside the work tree, once per pinned version: kubelet, kube-controller-manager,
# kube-scheduler and kube-proxy in ONE go build (they share most compiled
# packages) and CoreDNS from its own wrapper module with only the plugins the
# cluster uses (test/cluster/coredns/main.go). kube-apiserver and etcd come from
# test/controlplane/build.sh.
# With --prometheus it builds only Prometheus with its Kubernetes service discovery
# (Debian's prometheus has none; the journey's step 7 discovers pods as users do):
# a separate step because only the journey needs it, and `npm run cluster` should
# not wait for it on a cold machine.
# Usage: test/cluster/build.sh [--prometheus | --print-dir | --print-prometheus]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

k8s_version=$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/kube-node/go.mod")
coredns_version=$(awk '/^require github.com\/coredns\/coredns /{print $3}' "$here/coredns/go.mod")
cache_root=${WEFT_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-testenv}
dir="$cache_root/node-$k8s_version-coredns-$coredns_version"
prometheus_version=$(awk '/^require github.com\/prometheus\/prometheus /{print $3}' "$here/prometheus/go.mod")
prometheus="$cache_root/prometheus-$prometheus_version/prometheus"

if [ "${1:-}" = "--print-dir" ]; then echo "$dir"; exit 0; fi
if [ "${1:-}" = "--print-prometheus" ]; then echo "$prometheus"; exit 0; fi

log() { printf '[cluster-build] %s\n' "$*" >&2; }

build_prometheus() {
  if [ -x "$prometheus" ]; then
    log "prometheus: cached at $prometheus"
    return
  fi
  log "prometheus: building github.com/prometheus/prometheus $prometheus_version with Kubernetes SD only"
  local start=$SECONDS
  mkdir -p "$(dirname "$prometheus")"
  (cd "$here/prometheus" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" \
    -tags remove_all_sd,enable_kubernetes_sd -o "$prometheus.tmp" github.com/prometheus/prometheus/cmd/prometheus) || {
    log "prometheus: BUILD FAILED (see the go output above)"; exit 1; }
  mv "$prometheus.tmp" "$prometheus"
  log "prometheus: built in $((SECONDS - start)) s"
}
if [ "${1:-}" = "--prometheus" ]; then build_prometheus; echo "$prometheus"; exit 0; fi
mkdir -p "$dir"

minor=${k8s_version#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

node_bins=(kubelet kube-controller-manager kube-scheduler kube-proxy)
missing=0
for b in "${node_bins[@]}"; do [ -x "$dir/$b" ] || missing=1; done
if [ $missing = 0 ]; then
  log "kubelet, kube-controller-manager, kube-scheduler, kube-proxy: cached in $dir"
else
  log "node binaries: building ${node_bins[*]} in one go build (a cold build takes ~10 minutes)"
  start=$SECONDS
  tmp="$dir/.build-node"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$here/kube-node" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "$k8s_ldflags" -o "$tmp/" \
    $(printf 'k8s.io/kubernetes/cmd/%s ' "${node_bins[@]}")) || {
    log "node binaries: BUILD FAILED (see the go output above)"; exit 1; }
  for b in "${node_bins[@]}"; do mv "$tmp/$b" "$dir/$b"; done
  rmdir "$tmp"
  log "node binaries: built in $((SECONDS - start)) s"
fi

# coredns-slim: a new name for the plugin-trimmed build, so a cache holding the
# full build rebuilds CoreDNS alone, not the node binaries beside it.
if [ -x "$dir/coredns-slim" ]; then
  log "coredns: cached at $dir/coredns-slim"
else
  log "coredns: building github.com/coredns/coredns $coredns_version with the cluster's plugins"
  start=$SECONDS
  (cd "$here/coredns" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$dir/coredns-slim.tmp" .) || {
    log "coredns: BUILD FAILED (see the go output above)"; exit 1; }
  mv "$dir/coredns-slim.tmp" "$dir/coredns-slim"
  log "coredns: built in $((SECONDS - start)) s"
fi
echo "$dir"
