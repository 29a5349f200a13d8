#!/usr/bin/env bash
# Builds weft's container images here, without a registry: each is a docker-archive
# tar (one layer holding a root filesystem folder) that `ctr images import` loads.
#   weft   ghcr.io/weft-mesh/weft:<package.json version>, the name manifests/ and the
#          injector use: node + its libraries, dist/, production node_modules, the
#          SO_ORIGINAL_DST addon, iptables (nft) for `weft init-iptables`, busybox.
#   pause  registry.k8s.io/pause:3.10, a static C program (containerd never pulls).
#   echo   weft.test/echo:dev, the test app (test/cluster/echo-app.ts) on node.
# Needs `npm run build` first. The image configs (entrypoint, user, workdir, env)
# live in images/<name>/image.json; the Dockerfile declares the same (a test checks).
# Usage: images/build.sh <output-dir>   (prints one "<tag> <tar>" line per image)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: images/build.sh <output-dir>}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-images-XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { printf '[images] %s\n' "$*" >&2; }

[ -f "$repo/dist/src/cli/weft.js" ] || { log "dist/ is missing: run 'npm run build' first"; exit 1; }
[ -f "$repo/native/build/Release/original_dst.node" ] || { log "the native addon is missing: run 'npm run build' first"; exit 1; }

# Copies each file with every shared library ldd names for it, under $root.
copy_with_libs() { # root file...
  local root=$1; shift
  local f lib
  for f in "$@"; do
    cp -L --parents "$f" "$root/"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ )]*'); do
      [ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
    done
  done
}

# A minimal root: node, busybox (sh and friends for debugging), passwd/group
# naming the users weft runs as, a world-writable /tmp.
node_root() { # root
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,run,var/run}
  chmod 1777 "$root/tmp"
  copy_with_libs "$root" /usr/bin/node
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nweft-proxy:x:1337:1337::/nonexistent:/bin/false\nweft:x:65532:65532::/app:/bin/false\nnobody:x:65534:65534::/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nweft-proxy:x:1337:\nweft:x:65532:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

iptables_tools() { # root
  local root=$1 link
  copy_with_libs "$root" /usr/sbin/xtables-nft-multi /usr/lib/x86_64-linux-gnu/xtables/*.so
  for link in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sf xtables-nft-multi "$root/usr/sbin/$link"
  done
}

# Production node_modules: a copy of the work tree's, pruned of devDependencies
# offline (no registry needed, exactly the versions package-lock.json pins).
app_tree() { # root
  local app=$1/app
  mkdir -p "$app/native/build/Release"
  cp "$repo/package.json" "$repo/package-lock.json" "$app/"
  cp -r "$repo/dist" "$app/dist"
  find "$app/dist" -name '*.map' -delete
  cp "$repo/native/build/Release/original_dst.node" "$app/native/build/Release/"
  cp -r "$repo/node_modules" "$app/node_modules"
  (cd "$app" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
  rm -f "$app/package-lock.json"
}

archive() { # name root
  local name=$1 root=$2 tar="$out/$1.tar"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$root" -cf "$work/$name-layer.tar" .
  node "$repo/dist/test/cluster/image-archive.js" "$repo/images/$name/image.json" "$work/$name-layer.tar" "$tar.tmp"
  mv "$tar.tmp" "$tar"
  printf '%s %s\n' "$(node "$repo/dist/test/cluster/image-archive.js" --tag "$repo/images/$name/image.json")" "$tar"
}

start=$SECONDS
mkdir -p "$work/pause"
gcc -static -O2 -s -o "$work/pause/pause" "$repo/images/pause/pause.c"
archive pause "$work/pause"

node_root "$work/weft"
iptables_tools "$work/weft"
app_tree "$work/weft"
chmod -R a+rX "$work/weft/app"
archive weft "$work/weft"

node_root "$work/echo"
mkdir -p "$work/echo/echo"
cp "$repo/dist/test/cluster/echo-app.js" "$work/echo/echo/echo-app.js"
printf '{"type":"module"}\n' >"$work/echo/echo/package.json"
archive echo "$work/echo"
log "built pause, weft and echo in $((SECONDS - start)) s into $out"
