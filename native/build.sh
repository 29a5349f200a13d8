#!/usr/bin/env bash
# Builds the SO_ORIGINAL_DST addon with node-gyp against the headers of the Node
# that runs it (no download: this machine has no internet), once per source change.
set -euo pipefail
cd "$(dirname "$0")"
out=build/Release/original_dst.node
if [ -f "$out" ] && [ "$out" -nt original_dst.c ] && [ "$out" -nt binding.gyp ]; then exit 0; fi
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ ! -f "$nodedir/include/node/node_api.h" ]; then
  echo "native/build.sh: Node's headers are not under $nodedir/include/node" >&2
  exit 1
fi
exec npx --no-install node-gyp rebuild --nodedir="$nodedir" --loglevel=warn
