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
# Usage: images/build.sh <output-dir>   (prints "<tag> <tar> <content-key>" per image;
# an image whose inputs did not change is not rebuilt)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: images/build.sh <output-dir>}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-images-XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { printf '[images] %s\n' "$*" >&2; }
# What `weft` loads at run time (tests and benchmarks stay out of the image).
runtime_dirs="cli src ca webhook sidecar discovery"

[ -f "$repo/dist/cli/weft.js" ] || { log "dist/ is missing: run 'npm run build' first"; exit 1; }
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
  mkdir -p "$app/dist"
  for d in $runtime_dirs; do cp -r "$repo/dist/$d" "$app/dist/$d"; done
  find "$app/dist" -name '*.map' -delete
  cp "$repo/native/build/Release/original_dst.node" "$app/native/build/Release/"
  cp -r "$repo/node_modules" "$app/node_modules"
  (cd "$app" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
  rm -f "$app/package-lock.json"
}

archive() { # name root key
  local name=$1 root=$2 key=$3 tar="$out/$1.tar"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$root" -cf "$work/$name-layer.tar" .
  node "$repo/dist/test/cluster/image-archive.js" "$repo/images/$name/image.json" "$work/$name-layer.tar" "$tar.tmp"
  mv "$tar.tmp" "$tar"
  printf '%s\n' "$key" >"$out/$name.key"
}

# A content key per image: what goes into it, so an unchanged image is not rebuilt
# (and, by the cluster, not re-imported).
key_of() { # files...
  { sha256sum "$repo/images/build.sh" "$@"; node --version; } | sha256sum | cut -d' ' -f1
}

# Builds image $1 with function $2 unless $out holds it with the same key; prints
# "<tag> <tar> <key>".
image() { # name builder key
  local name=$1 builder=$2 key=$3
  if [ ! -f "$out/$name.tar" ] || [ "$(cat "$out/$name.key" 2>/dev/null)" != "$key" ]; then
    local start=$SECONDS
    "$builder" "$work/$name"
    archive "$name" "$work/$name" "$key"
    log "$name: built in $((SECONDS - start)) s"
  fi
  printf '%s %s %s\n' "$(node "$repo/dist/test/cluster/image-archive.js" --tag "$repo/images/$name/image.json")" "$out/$name.tar" "$key"
}

pause_image() { # root
  mkdir -p "$1"
  gcc -static -O2 -s -o "$1/pause" "$repo/images/pause/pause.c"
}

weft_image() { # root
  node_root "$1"
  iptables_tools "$1"
  app_tree "$1"
  chmod -R a+rX "$1/app"
}

echo_image() { # root
  node_root "$1"
  mkdir -p "$1/echo"
  cp "$repo/dist/test/cluster/echo-app.js" "$1/echo/echo-app.js"
  printf '{"type":"module"}\n' >"$1/echo/package.json"
}

image pause pause_image "$(key_of "$repo/images/pause/pause.c" "$repo/images/pause/image.json")"
cd "$repo"
image weft weft_image "$(key_of images/weft/image.json package.json package-lock.json native/build/Release/original_dst.node $(cd dist && find $runtime_dirs -type f ! -name '*.map' | sort | sed 's|^|dist/|'))"
image echo echo_image "$(key_of images/echo/image.json dist/test/cluster/echo-app.js)"
