'use strict';
// Shared helpers for the bench files: timing, medians, output.
//   --quick          fewer iterations (a smoke run)
//   --json           print one JSON line (what bench/run.js reads)
//   --budget-ms MS   cap on the work of one timed rep (default 400, quick 100):
//                    when an op is slow (strands while another process keeps a
//                    core busy: tens of µs a switch), a case runs fewer
//                    iterations instead of minutes; never fewer than 2,000.
//                    The iterations used are printed with the results.
const args = process.argv.slice(2);

const quick = args.includes('--quick');
const json = args.includes('--json');
const budgetIdx = args.indexOf('--budget-ms');
const budgetNs = (budgetIdx >= 0 ? Number(args[budgetIdx + 1]) : quick ? 100 : 400) * 1e6;

/** Iterations each measure() call used, in call order (reported with the results). */
const iterations = [];

/**
 * ns per op of `fn(n)` (which returns elapsed ns for n ops, sync or async),
 * median of `reps`. n is lowered, in multiples of `step`, so that one rep
 * stays within the time budget (see the header).
 */
async function measure(fn, n, reps = 3, step = 1) {
  const round = (x) => Math.max(step, Math.floor(x / step) * step);
  const probe = round(Math.min(Math.floor(n / 10), 2000));
  const perOp = (await fn(probe)) / probe; // first part of the warm-up, and an estimate
  let used = n;
  if (perOp * n > budgetNs) used = Math.max(round(Math.min(n, 2000)), round(budgetNs / perOp));
  await fn(Math.max(step, round(used / 10))); // rest of the warm-up
  const xs = [];
  for (let r = 0; r < reps; r++) xs.push((await fn(used)) / used);
  iterations.push({ n: used, requested: n });
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

function now() {
  return process.hrtime.bigint();
}

function since(start) {
  return Number(process.hrtime.bigint() - start);
}

/** Which engine this process runs (fiber or strand). */
function engine() {
  try {
    return require('..').stats().engine;
  } catch {
    return 'unknown';
  }
}

/** Prints the results: one JSON line with --json, else a small table. */
function report(name, results) {
  if (json) {
    console.log(JSON.stringify({ name, engine: engine(), iterations, results }));
    return;
  }
  console.log(`${name} (engine ${engine()})`);
  for (const r of results) {
    console.log(`${r.case}: ${r.ns.toFixed(0)} ns/op`);
    console.log(`  baseline ${r.baselineCase}: ${r.baselineNs.toFixed(0)} ns/op  (ratio ${(r.ns / r.baselineNs).toFixed(2)}x)`);
  }
  console.log(`  iterations per timed rep: ${iterations.map((i) => i.n).join(', ')}`);
}

/**
 * Two tasklets ping-ponging with schedule() n times each (T: the tasklet
 * module); resolves to ns per one-way switch * n (two switches a round).
 */
async function schedulePingPong(T, n) {
  const start = now();
  const a = T.spawn(() => {
    for (let i = 0; i < n; i++) T.schedule();
  });
  const b = T.spawn(() => {
    for (let i = 0; i < n; i++) T.schedule();
  });
  await Promise.all([a.result, b.result]);
  return since(start) / 2;
}

module.exports = { quick, json, measure, now, since, report, engine, schedulePingPong };
