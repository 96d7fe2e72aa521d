// tasklet/fibers/register: require('fibers') / require('fibers/future') and
// `import 'fibers'` resolve to tasklet/fibers with -r, --import or
// NODE_OPTIONS, in child processes too; and the package.json way
// (docs/from-fibers.md) works with npm.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasklet-fibers-register-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const APP = `
const Fiber = require('fibers');
const Future = require('fibers/future');
const ours = require(${JSON.stringify(path.join(root, 'dist', 'cjs', 'fibers', 'index.js'))});
const f = Fiber((x) => Fiber.yield(x + 1));
console.log(Fiber === ours, f.run(1), typeof Future.wrap, typeof Function.prototype.future);
if (process.argv[2] !== 'child') {
  const r = require('child_process').spawnSync(process.execPath, [__filename, 'child'], { encoding: 'utf8' });
  process.stdout.write('child ' + r.stdout + r.stderr);
}
f.run();
`;
const ESM_APP = `
import Fiber from 'fibers';
import Future from 'fibers/future';
const value = Fiber(() => new Future().isResolved()).run();
console.log(typeof Fiber.yield, value);
`;
fs.writeFileSync(path.join(dir, 'app.js'), APP);
fs.writeFileSync(path.join(dir, 'app.mjs'), ESM_APP);

function node(args: string[], env: NodeJS.ProcessEnv = {}, cwd = root) {
  return spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
}

describe('tasklet/fibers/register', () => {
  it('without it, require("fibers") fails (nothing named fibers is installed)', () => {
    const r = node([path.join(dir, 'app.js')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Cannot find module 'fibers'");
  });

  it('node -r tasklet/fibers/register: require resolves to ours, and Node children inherit it', () => {
    const r = node(['-r', 'tasklet/fibers/register', path.join(dir, 'app.js')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true 2 function function\nchild true 2 function function\n');
  });

  it('NODE_OPTIONS="--require <path>" works, and its children see the same NODE_OPTIONS', () => {
    const reg = path.join(root, 'dist', 'cjs', 'fibers', 'register.js');
    const r = node([path.join(dir, 'app.js')], { NODE_OPTIONS: `--require "${reg}"` });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true 2 function function\nchild true 2 function function\n');
  });

  it('import Fiber from "fibers" in an ES module (with -r and with --import)', () => {
    for (const flags of [['-r', 'tasklet/fibers/register'], ['--import', 'tasklet/fibers/register']]) {
      const r = node([...flags, path.join(dir, 'app.mjs')]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('function false\n');
    }
  });

  it('the package.json way: a two-file "fibers" package of your own, as a file: dependency', () => {
    // docs/from-fibers.md, "Bundlers and package.json": the app depends on
    // fibers through a local package that re-exports tasklet/fibers.
    const app = path.join(dir, 'pkg-app');
    const shim = path.join(app, 'fibers-shim');
    fs.mkdirSync(shim, { recursive: true });
    fs.writeFileSync(path.join(shim, 'package.json'), JSON.stringify({ name: 'fibers', version: '5.0.3-tasklet', main: 'fibers.js' }));
    fs.writeFileSync(path.join(shim, 'fibers.js'), "module.exports = require('tasklet/fibers');\n");
    fs.writeFileSync(path.join(shim, 'future.js'), "module.exports = require('tasklet/fibers/future');\n");
    // A dependency that itself depends on the real fibers@^5 gets the shim through "overrides".
    const dep = path.join(dir, 'dep');
    fs.mkdirSync(dep);
    fs.writeFileSync(path.join(dep, 'package.json'), JSON.stringify({ name: 'dep', version: '1.0.0', dependencies: { fibers: '^5.0.0' } }));
    fs.writeFileSync(path.join(dep, 'index.js'), "module.exports = require('fibers');\n");
    const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: dep, encoding: 'utf8', timeout: 60_000 });
    expect(pack.status, pack.stderr).toBe(0);
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'app',
        private: true,
        dependencies: { fibers: 'file:./fibers-shim', dep: 'file:./dep-1.0.0.tgz' },
        overrides: { fibers: '$fibers' },
      }),
    );
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(install.status, install.stderr).toBe(0);
    // tasklet itself, as `npm install tasklet` would put it (a link to this checkout).
    fs.symlinkSync(root, path.join(app, 'node_modules', 'tasklet'), 'dir');
    fs.writeFileSync(path.join(app, 'app.js'), APP.replace(/const ours[^\n]*\n/, 'const ours = require("tasklet/fibers");\n'));
    fs.appendFileSync(path.join(app, 'app.js'), "if (process.argv[2] !== 'child') console.log('dep gets ours', require('dep') === ours);\n");
    const r = node([path.join(app, 'app.js')], {}, app);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true 2 function function\nchild true 2 function function\ndep gets ours true\n');
  });
});
