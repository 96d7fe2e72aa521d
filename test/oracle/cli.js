// The oracle's runner, in its own process: generates the programs of a seed
// range, runs each in the model and for real, compares, and prints one JSON
// line per failure plus a summary. Usage (see test/oracle.test.ts):
//   ORACLE_SEED=1 ORACLE_ITER=200 [ORACLE_STRICT=1] [ORACLE_EXIT=1] [TASKLET_ENGINE=strand] node test/oracle/cli.js
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const T = require(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'));
const { generate, describe, minimize } = require('./program');
const { Model } = require('./model');
const { runReal } = require('./real');

const HANG_MS = 5_000;

/** Runs `prog` both ways; returns null when they agree, else what differs. */
async function check(prog, strict) {
  const model = new Model(prog).run();
  if (model.departures.length > 0 && !strict) return { skipped: model.departures };
  let timer;
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  const real = await Promise.race([runReal(T, prog), hang]);
  clearTimeout(timer);
  if (real === 'hang') return { problem: `no end after ${HANG_MS} ms`, hang: true };
  const n = Math.max(model.trace.length, real.trace.length);
  for (let i = 0; i < n; i++) {
    if (model.trace[i] !== real.trace[i]) {
      return {
        problem: `trace differs at line ${i}`,
        expected: model.trace.slice(Math.max(0, i - 3), i + 4),
        actual: real.trace.slice(Math.max(0, i - 3), i + 4),
      };
    }
  }
  // Conservation, independent of the trace: nothing received twice; every
  // value whose send completed is received, even one handed to a receiver
  // that a kill or throw overtook (it goes back to its channel). The model
  // must lose nothing either.
  if (model.lost.length > 0) return { problem: `the model lost ${model.lost.join(' ')}` };
  const seen = new Set();
  for (const v of real.received) {
    if (seen.has(v)) return { problem: `${v} received twice` };
    seen.add(v);
  }
  for (const v of real.sentOk) if (!seen.has(v)) return { problem: `${v} sent but never received` };
  if (real.live !== 0) return { problem: `${real.live} tasklet(s) alive at the end` };
  if (real.balances.some((b) => b !== 0)) return { problem: `channel balances at the end: ${real.balances}` };
  return null;
}

/**
 * Runs `prog` in its own process and leaves its tasklets to the exit pass.
 * The docs fix what the pass does to each tasklet (runnable ones run, the
 * others get TaskletExit, until none is left) but not in which order, so
 * this compares the trace up to the pass exactly and, for the pass, only
 * that each tasklet alive when it began runs its finally block exactly once,
 * that nothing else runs, and that no tasklet is left and no warning given.
 */
function checkExit(prog, strict) {
  const model = new Model(prog).runToExit();
  if (model.departures.length > 0 && !strict) return { skipped: model.departures };
  const json = JSON.stringify(prog, (_, v) => (v === Infinity ? 'Infinity' : v));
  const r = spawnSync(process.execPath, [path.join(__dirname, 'exit-child.js'), json], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  if (r.error || r.status !== 0 || r.signal || r.stderr !== '') {
    return { problem: `exit child: status ${r.status}, signal ${r.signal}, ${r.error ?? ''} stderr: ${r.stderr.slice(0, 2000)}`, hang: !!r.error };
  }
  const real = JSON.parse(r.stdout);
  const n = model.trace.length;
  for (let i = 0; i < n; i++) {
    if (model.trace[i] !== real.trace[i]) {
      return { problem: `trace differs at line ${i}`, expected: model.trace.slice(Math.max(0, i - 3), i + 4), actual: real.trace.slice(Math.max(0, i - 3), i + 4) };
    }
  }
  const pass = real.trace.slice(n);
  const finallies = new Map(model.alive.map((k) => [k, 0]));
  for (const line of pass) {
    const m = /^T(\d+)[ .]/.exec(line);
    if (m === null || !finallies.has(Number(m[1]))) return { problem: `exit pass ran "${line}"`, pass };
    if (line === `T${m[1]} finally`) finallies.set(Number(m[1]), finallies.get(Number(m[1])) + 1);
  }
  for (const [k, c] of finallies) if (c !== 1) return { problem: `T${k}'s finally ran ${c} times in the exit pass`, pass };
  if (real.live !== 0) return { problem: `${real.live} tasklet(s) alive at exit`, pass };
  if (real.alive.length > 0) return { problem: `tasklets still alive at exit: ${real.alive.map((k) => `T${k}`)}`, pass };
  if (real.warnings.length > 0) return { problem: `warnings: ${real.warnings}`, pass };
  return null;
}

async function main() {
  const seed = Number(process.env.ORACLE_SEED ?? 1);
  const iter = Number(process.env.ORACLE_ITER ?? 200);
  const strict = process.env.ORACLE_STRICT === '1';
  const exitPass = process.env.ORACLE_EXIT === '1'; // one process per program, ended by the exit pass
  T.configure({ timeSlice: 3_600_000 }); // the slice never ends mid-program: traces stay deterministic
  const summary = { engine: T.stats().engine, exitPass, seed, iter, passed: 0, skipped: {}, failed: 0 };
  for (let s = seed; s < seed + iter; s++) {
    const prog = generate(s);
    process.stdout.write(`start ${s}\n`);
    const r = exitPass ? checkExit(prog, strict) : await check(prog, strict);
    if (r === null) {
      summary.passed++;
    } else if (r.skipped) {
      for (const d of r.skipped) summary.skipped[d] = (summary.skipped[d] ?? 0) + 1;
    } else {
      summary.failed++;
      let small = prog;
      if (!r.hang) small = await minimize(prog, async (p) => {
        const x = exitPass ? checkExit(p, strict) : await check(p, strict);
        return x !== null && !x.skipped && !x.hang;
      });
      const rs = r.hang ? r : exitPass ? checkExit(small, strict) : await check(small, strict);
      process.stdout.write(`FAIL ${JSON.stringify({ seed: s, ...r, minimized: describe(small), minimizedResult: rs, program: small }, (_, v) => (v === Infinity ? 'Infinity' : v))}\n`);
      if (r.hang) break;
    }
  }
  process.stdout.write(`SUMMARY ${JSON.stringify(summary)}\n`);
}

main().catch((e) => {
  process.stdout.write(`CRASH ${e && e.stack}\n`);
  process.exitCode = 1;
});
