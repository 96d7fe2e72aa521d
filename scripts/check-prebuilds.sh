#!/usr/bin/env bash
# `prepack` (npm pack, npm publish): refuses to pack without the four
# linux-x64 prebuilds. Without them npm pack still succeeds, silently, and
# the tarball compiles the addon on every install (or fails where there is
# no compiler). Prints nothing when they are all there (scripts/pack-smoke.sh
# reads the tarball name from npm pack's last line of output).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
missing=()
for abi in 115 127 137 147; do
  [ -f "$root/prebuilds/linux-x64/node.abi$abi.glibc.node" ] || missing+=("prebuilds/linux-x64/node.abi$abi.glibc.node")
done
if [ "${#missing[@]}" -gt 0 ]; then
  {
    echo "npm pack refused: the tarball would compile the addon on every install, because these prebuilds are missing:"
    printf '  %s\n' "${missing[@]}"
    echo "Run \`npm run prebuild\` first (it builds them for Node 20, 22, 24 and 26; see README.md, Install)."
  } >&2
  exit 1
fi
