#!/usr/bin/env bash
# Measures a cold `npm ci && npm run cluster` (issue 11's "cold in under 15
# minutes") without wiping this machine's caches: clones HEAD into a temporary
# folder and points every cache the start uses at empty folders beside it
# (GOMODCACHE, GOCACHE, WEFT_TESTENV_CACHE, npm's cache), then times npm ci, the
# builds and the start until KUBECONFIG= is printed, stops the cluster with
# SIGTERM and removes the folder. Debian packages (.ci/run's list) must already
# be installed. Run it on a quiet machine, as root, under the integration lock:
#   flock /tmp/weft-integration.lock test/cluster/cold-start.sh
# Prints one line per phase and a load-average line every 60 s.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/weft-cold.XXXXXX)
cleanup() {
  [ -n "${cluster_pid:-}" ] && kill -TERM "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
  [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null
  chmod -R u+w "$work" 2>/dev/null # the Go module cache is read-only
  rm -rf "$work"
}
trap cleanup EXIT
export GOMODCACHE=$work/gomod GOCACHE=$work/gocache WEFT_TESTENV_CACHE=$work/testenv
export npm_config_cache=$work/npm
say() { printf '[cold-start %s] %s\n' "$(date +%T)" "$*"; }
elapsed() { echo $((SECONDS - start)); }

git clone -q "$repo" "$work/repo"
cd "$work/repo"
say "clone of $(git rev-parse --short HEAD) in $work/repo; caches empty; load $(cut -d' ' -f1-3 /proc/loadavg)"
(while sleep 60; do say "load $(cut -d' ' -f1-3 /proc/loadavg)"; done) &
load_pid=$!
start=$SECONDS
npm ci --no-audit --no-fund >"$work/npm-ci.log" 2>&1 || { tail -20 "$work/npm-ci.log"; exit 1; }
say "npm ci: $(elapsed) s"
npm run cluster >"$work/cluster.out" 2>"$work/cluster.err" &
cluster_pid=$!
for _ in $(seq 1 5400); do # bounded: 90 minutes
  grep -q '^KUBECONFIG=' "$work/cluster.out" && break
  kill -0 "$cluster_pid" 2>/dev/null || { tail -30 "$work/cluster.err"; say "npm run cluster exited early"; exit 1; }
  sleep 1
done
grep -q '^KUBECONFIG=' "$work/cluster.out" || { say "no KUBECONFIG after 90 minutes"; exit 1; }
total=$(elapsed)
grep -E 'built in|ready in' "$work/cluster.err" | sed 's/^/  /'
say "KUBECONFIG printed $total s after the start ($((total / 60)) min $((total % 60)) s)"
kill -TERM "$cluster_pid"
wait "$cluster_pid" || true
cluster_pid=
children=$(times | tail -1)
say "CPU of all children (user sys): $children"
