#!/usr/bin/env bash
# Runs the test suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon (g++'s runtimes, preloaded into node). The tracked files
# are copied to a scratch directory so the normal build is left alone.
# Not run by CI (about 3x slower); run it for every change under native/.
# The suite runs once on each engine (fibers annotate their stack switches
# for ASan with __sanitizer_start/finish_switch_fiber).
# Two tests cannot run under ASan and are skipped, saying so: the
# ERR_THREAD_LIMIT test (its `ulimit -v` leaves no room for ASan's shadow
# memory) and the PostgreSQL example (the preloaded runtime hangs initdb).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${TMPDIR:-/tmp}/tasklet-sanitize"
rm -rf "$scratch" && mkdir -p "$scratch"
(cd "$root" && git ls-files -z | xargs -0 tar -c) | tar -x -C "$scratch"
ln -s "$root/node_modules" "$scratch/node_modules"
cd "$scratch"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -g"
CXXFLAGS="$flags" LDFLAGS="$flags" npx node-gyp rebuild >/dev/null
asan="$(readlink -f "$(g++ -print-file-name=libasan.so)")"
ubsan="$(readlink -f "$(g++ -print-file-name=libubsan.so)")"
# Everything that loads the addon (make-esm.js does) needs the runtimes first.
export LD_PRELOAD="$asan:$ubsan" \
  ASAN_OPTIONS=detect_leaks=0,abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1,halt_on_error=1 \
  TASKLET_SANITIZER=1
node node_modules/typescript/bin/tsc -p tsconfig.build.json
node scripts/make-esm.js
echo "== sanitizer build in $scratch; SKIPPED under ASan: postgres-example.test.ts, the ERR_THREAD_LIMIT test"
for engine in fiber strand; do
  echo "== $engine engine under ASan+UBSan"
  TASKLET_ENGINE=$engine node node_modules/vitest/vitest.mjs run --exclude test/postgres-example.test.ts "$@"
done
