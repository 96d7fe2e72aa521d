// node-fibers' own test suite (test/ and test.js of the fibers npm package,
// pinned and checked against its sha512) run unchanged through
// tasklet/fibers/register. `node scripts/fibers-suite.js` prints each test's
// result; test/fibers-suite.test.ts runs it under vitest.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const VERSION = '5.0.3';
/** The registry's integrity for fibers-5.0.3.tgz (npm pack --json). */
const SHA512 = 'sha512-/qYTSoZydQkM21qZpGLDLuCq8c+B8KhuCQ1kLPvnRNhxhVbvrpmH9l2+Lblf5neDuEsY4bfT7LeO553TXQDvJw==';
const root = path.join(__dirname, '..');
const cacheDir = process.env.TASKLET_FIBERS_SUITE_CACHE ?? path.join(root, 'node_modules', '.cache', 'tasklet-fibers-suite');
const register = path.join(root, 'dist', 'cjs', 'fibers', 'register.js');

/**
 * Gets the pinned tarball (npm pack, from the npm registry) into the cache,
 * verifies it and extracts test/ and test.js. Returns the suite's directory,
 * or { skipped: reason } when the tarball cannot be fetched. A tarball that
 * does not match the pinned sha512 is an error, never a skip.
 */
function fetchSuite() {
  const dir = path.join(cacheDir, VERSION);
  const tgz = path.join(cacheDir, `fibers-${VERSION}.tgz`);
  if (fs.existsSync(path.join(dir, 'test.js'))) return { dir };
  fs.mkdirSync(cacheDir, { recursive: true });
  if (!fs.existsSync(tgz)) {
    try {
      execFileSync('npm', ['pack', `fibers@${VERSION}`, '--silent', '--no-audit', '--no-fund'], {
        cwd: cacheDir,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120_000,
      });
    } catch (error) {
      const why = String(error.stderr?.length ? error.stderr : error.message).trim();
      return { skipped: `could not fetch fibers@${VERSION} with npm pack: ${why}` };
    }
  }
  const actual = 'sha512-' + crypto.createHash('sha512').update(fs.readFileSync(tgz)).digest('base64');
  if (actual !== SHA512) {
    fs.rmSync(tgz);
    throw new Error(`fibers-${VERSION}.tgz does not match the pinned sha512 (got ${actual})`);
  }
  const tmp = `${dir}.tmp${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--strip-components=1', 'package/test', 'package/test.js']);
  // test.js runs each test with NODE_PATH set to the package's directory, so
  // test/future-exception.js's require('future') found the package's own
  // future.js. That file is not the suite's: in its place stands a one-line
  // module that loads fibers/future (resolved to ours by the register hook).
  fs.writeFileSync(path.join(tmp, 'future.js'), "module.exports = require('fibers/future');\n");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return { dir };
}

/**
 * Runs the suite's test.js (which runs each test/*.js in its own node
 * process and wants exactly "pass\n" on stdout and nothing on stderr) with
 * NODE_OPTIONS=--require <our register>. Returns each test's result.
 */
function runSuite(dir, { timeoutMs = 300_000 } = {}) {
  const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --require "${register}"`.trim();
  const r = spawnSync(process.execPath, ['test.js'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  const names = fs.readdirSync(path.join(dir, 'test')).filter((f) => f.endsWith('.js'));
  const results = {};
  for (const name of names) {
    const escaped = name.replace(/[.]/g, '\\.');
    if (new RegExp(`^${escaped}: pass$`, 'm').test(r.stdout)) results[name] = { pass: true };
    else {
      // test.js prints "<name>: *fail*" followed by code, stderr and stdout up to the next test's line.
      const at = r.stderr.indexOf(`${name}: `);
      const detail = at < 0 ? '(no result: the suite did not reach it)' : r.stderr.slice(at, at + 1500);
      results[name] = { pass: false, detail };
    }
  }
  retryTimingTest(dir, nodeOptions, results);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, results };
}

/**
 * cleanup.js is, in its own words, a "vague benchmark of fiber performance":
 * it prints "fail" when a timed loop runs more than twice as long after 1,100
 * fibers than before. On a loaded 2-core machine one run can cross that line
 * from noise alone (the strand engine, whose runs there were 1.3-1.5x, once
 * measured 3.9x while other test files ran), so a "fail" verdict (and only
 * that: a crash or any stderr is final) gets two more runs, run as test.js
 * runs it; the result says how many runs it took.
 */
function retryTimingTest(dir, nodeOptions, results) {
  const name = 'cleanup.js';
  const first = results[name];
  // test.js's report of a clean "fail" verdict: exit code 0, empty stderr.
  if (first === undefined || first.pass || !/code: 0\nstderr: \nstdout: fail\n/.test(first.detail)) return;
  for (let attempt = 2; attempt <= 3; attempt++) {
    const r = spawnSync(process.execPath, [path.join('test', name)], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, NODE_PATH: dir, NODE_OPTIONS: nodeOptions },
    });
    if (r.status !== 0 || r.stderr !== '' || (r.stdout !== 'pass\n' && r.stdout !== 'fail\n')) {
      results[name] = { pass: false, detail: `${name} (run ${attempt}): code ${r.status}, stderr: ${r.stderr}, stdout: ${r.stdout}` };
      return;
    }
    if (r.stdout === 'pass\n') {
      results[name] = { pass: true, attempts: attempt };
      return;
    }
    results[name].detail += `\n(run ${attempt} also printed "fail")`;
  }
}

module.exports = { VERSION, SHA512, fetchSuite, runSuite };

if (require.main === module) {
  const got = fetchSuite();
  if (got.skipped) {
    console.error(`SKIPPED: node-fibers' test suite: ${got.skipped}`);
    process.exit(0);
  }
  const { results } = runSuite(got.dir);
  let failed = 0;
  for (const [name, r] of Object.entries(results)) {
    console.log(`${r.pass ? 'pass' : 'FAIL'}  ${name}${r.attempts ? ` (run ${r.attempts})` : ''}`);
    if (!r.pass) {
      failed++;
      console.log(r.detail.replace(/^/gm, '      '));
    }
  }
  console.log(`node-fibers ${VERSION} suite on Node ${process.version}: ${Object.keys(results).length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
