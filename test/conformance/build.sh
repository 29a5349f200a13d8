#!/usr/bin/env bash
# Builds what the Gateway API conformance run needs from the Go module proxy into
# the test-binary cache (WEFT_TESTENV_CACHE), once per pinned version:
#   conformance.test  `go test -c` of sigs.k8s.io/gateway-api/conformance (suite/)
#   echo-server, echo-client  Istio's test echo app (echo/), CGO_ENABLED=0, the
#                     program in the suite's echo-advanced image
#   echo-advanced.tar the suite's echo image, registry.k8s.io/gateway-api/echo-advanced:v1.5.1
#                     (the tag conformance/mesh/manifests.yaml names), laid out as
#                     Istio's pkg/test/echo/docker/Dockerfile.app: server as the
#                     entrypoint, client on PATH (the suite execs it in the pod),
#                     Istio's test certificate at /cert.crt and /cert.key, user 1338
# and prints the cache folder (the image needs `npm run build` first: it is
# wrapped by dist/test/cluster/image-archive.js). Kept apart from test/cluster/build.sh: its
# cold build (~3 minutes idle) is paid only by `npm run conformance` and the CI step
# that runs it as the last step of `npm test` (test:conformance).
# Usage: test/conformance/build.sh [--print-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

suite_version=$(awk '/^require sigs.k8s.io\/gateway-api\/conformance /{print $3}' "$here/suite/go.mod")
istio_version=$(awk '/^require istio.io\/istio /{print $3}' "$here/echo/go.mod")
cache_root=${WEFT_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-testenv}
dir="$cache_root/conformance-$suite_version-istio-echo-$istio_version"

if [ "${1:-}" = "--print-dir" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir"
log() { printf '[conformance-build] %s\n' "$*" >&2; }

if [ -x "$dir/conformance.test" ]; then
  log "conformance suite: cached at $dir/conformance.test"
else
  log "conformance suite: go test -c sigs.k8s.io/gateway-api/conformance $suite_version (~1.5 minutes cold)"
  start=$SECONDS
  (cd "$here/suite" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go test -c -trimpath -ldflags "-s -w" \
    -o "$dir/conformance.test.tmp" .) || {
    log "conformance suite: BUILD FAILED (see the go output above)"; exit 1; }
  mv "$dir/conformance.test.tmp" "$dir/conformance.test"
  log "conformance suite: built in $((SECONDS - start)) s"
fi

if [ -x "$dir/echo-server" ] && [ -x "$dir/echo-client" ]; then
  log "echo server and client: cached in $dir"
else
  log "echo server and client: building istio.io/istio $istio_version pkg/test/echo/cmd/{server,client} (~1 minute cold)"
  start=$SECONDS
  tmp="$dir/.build-echo"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$here/echo" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" -o "$tmp/" \
    istio.io/istio/pkg/test/echo/cmd/server istio.io/istio/pkg/test/echo/cmd/client) || {
    log "echo server and client: BUILD FAILED (see the go output above)"; exit 1; }
  mv "$tmp/server" "$dir/echo-server"
  mv "$tmp/client" "$dir/echo-client"
  rmdir "$tmp"
  log "echo server and client: built in $((SECONDS - start)) s"
fi

# The image: rebuilt when the binaries, the certificate or image.json change.
repo=$(cd "$here/../.." && pwd)
certs="$(cd "$here/echo" && go list -m -f '{{.Dir}}' istio.io/istio)/tests/testdata/certs/dns"
key=$({ sha256sum "$dir/echo-server" "$dir/echo-client" "$certs/cert-chain.pem" "$certs/key.pem" \
  "$here/echo-advanced/image.json" "$here/build.sh"; } | sha256sum | cut -d' ' -f1)
if [ -f "$dir/echo-advanced.tar" ] && [ "$(cat "$dir/echo-advanced.key" 2>/dev/null)" = "$key" ]; then
  log "echo-advanced image: cached at $dir/echo-advanced.tar"
else
  [ -f "$repo/dist/test/cluster/image-archive.js" ] || { log "dist/ is missing: run 'npm run build' first"; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/weft-echo-advanced-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root="$work/root"
  mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  cp "$dir/echo-server" "$root/usr/local/bin/server"
  cp "$dir/echo-client" "$root/usr/local/bin/client"
  # Istio's test certificate (public in its repository; the echo app serves TLS on
  # 8443 with it). Readable by user 1338, as in Istio's image.
  install -m 0644 "$certs/cert-chain.pem" "$root/cert.crt"
  install -m 0644 "$certs/key.pem" "$root/cert.key"
  printf 'root:x:0:0:root:/root:/bin/false\napplication:x:1338:1338::/tmp:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\napplication:x:1338:\n' >"$root/etc/group"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$root" -cf "$work/layer.tar" .
  node "$repo/dist/test/cluster/image-archive.js" "$here/echo-advanced/image.json" "$work/layer.tar" "$dir/echo-advanced.tar.tmp"
  mv "$dir/echo-advanced.tar.tmp" "$dir/echo-advanced.tar"
  printf '%s\n' "$key" >"$dir/echo-advanced.key"
  log "echo-advanced image: built"
fi
echo "$dir"
