'use strict';
// Shared helpers for the bench files: timing, medians, output.
const args = process.argv.slice(2);

const quick = args.includes('--quick');
const json = args.includes('--json');

/** ns per op of `fn(n)` (which returns elapsed ns for n ops, sync or async), median of `reps`. */
async function measure(fn, n, reps = 3) {
  await fn(Math.max(1, Math.floor(n / 10))); // warm-up
  const xs = [];
  for (let r = 0; r < reps; r++) xs.push((await fn(n)) / n);
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

function now() {
  return process.hrtime.bigint();
}

function since(start) {
  return Number(process.hrtime.bigint() - start);
}

/** Prints the results: one JSON line with --json, else a small table. */
function report(name, results) {
  if (json) {
    console.log(JSON.stringify({ name, results }));
    return;
  }
  for (const r of results) {
    console.log(`${r.case}: ${r.ns.toFixed(0)} ns/op`);
    console.log(`  baseline ${r.baselineCase}: ${r.baselineNs.toFixed(0)} ns/op  (ratio ${(r.ns / r.baselineNs).toFixed(2)}x)`);
  }
}

module.exports = { quick, json, measure, now, since, report };
