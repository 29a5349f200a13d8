#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache outside
# the work tree, once per pinned version. Prints progress; exits non-zero with a
# clear message when a build fails. Usage: test/controlplane/build.sh [--print-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

k8s_version=$(awk '/^require k8s.io\/kubernetes /{print $3}' "$here/kube-apiserver/go.mod")
etcd_version=$(awk '/^require go.etcd.io\/etcd\/server\/v3 /{print $3}' "$here/etcd/go.mod")
cache_root=${WEFT_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-testenv}
dir="$cache_root/k8s-$k8s_version-etcd-$etcd_version"

if [ "${1:-}" = "--print-dir" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir"

log() { printf '[testenv-build] %s\n' "$*" >&2; }

minor=${k8s_version#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

build() { # name module-dir package ldflags
  local name=$1 mod=$2 pkg=$3 ldflags=$4
  if [ -x "$dir/$name" ]; then log "$name: cached at $dir/$name"; return; fi
  log "$name: building $pkg (a cold build takes several minutes)"
  local start=$SECONDS
  (cd "$here/$mod" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "$ldflags" -o "$dir/$name.tmp" "$pkg") || {
    log "$name: BUILD FAILED (see the go output above)"; exit 1; }
  mv "$dir/$name.tmp" "$dir/$name"
  log "$name: built in $((SECONDS - start)) s"
}

build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
echo "$dir"
