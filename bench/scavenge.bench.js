'use strict';
// Scavenge (minor GC) pause with N tasklets waiting: every minor GC visits
// every suspended stack, so the pause grows with the number of waiting
// tasklets. In one process: K minor GCs with none waiting (the baseline),
// then N tasklets started that all blockOn one promise, then K minor GCs
// again; the same young garbage (CHURN small objects) is made before each GC.
// Each pause is timed around gc({ type: 'minor', execution: 'sync' }) and
// also read from the 'gc' performance entry V8 reports for it.
//   node --expose-gc bench/scavenge.bench.js N [--json] [--quick]
// The strand engine holds an OS thread per waiting tasklet: pid_max (32,768
// here) rules out 100k; run.js gives strands 1k and 10k.
const { PerformanceObserver, constants } = require('node:perf_hooks');
const T = require('..');
const { now, since, engine } = require('./common');

if (typeof gc !== 'function') throw new Error('run with node --expose-gc');
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10000);
const K = process.argv.includes('--quick') ? 10 : 30;
const CHURN = 20000;

let keep;
function churn() {
  let a = [];
  for (let i = 0; i < CHURN; i++) {
    a.push({ i, s: [i] });
    if (a.length === 100) a = [];
  }
  keep = a;
}

const entries = [];
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) entries.push(e.duration * 1e6);
});
obs.observe({ entryTypes: ['gc'] });

const flush = () => new Promise((r) => setTimeout(r, 20)); // perf entries arrive on a later turn

async function pauses() {
  await flush();
  entries.length = 0;
  const xs = [];
  for (let k = 0; k < K; k++) {
    churn();
    const t = now();
    gc({ type: 'minor', execution: 'sync' });
    xs.push(since(t));
  }
  await flush();
  const observed = entries.splice(0);
  return { timed: summary(xs), observed: summary(observed), minorGcsObserved: observed.length };
}

function summary(xs) {
  if (xs.length === 0) return null;
  const s = xs.slice().sort((a, b) => a - b);
  return { medianUs: s[Math.floor(s.length / 2)] / 1000, maxUs: s[s.length - 1] / 1000, minUs: s[0] / 1000 };
}

async function main() {
  churn();
  gc(); // a full GC first: old space settled, the same for both halves
  const baseline = await pauses();

  let started = 0;
  let open;
  const gate = new Promise((r) => (open = r));
  const t0 = now();
  const ts = [];
  for (let i = 0; i < N; i++) {
    ts.push(
      T.spawn(() => {
        started++;
        T.blockOn(gate);
      }),
    );
  }
  while (started < N) await new Promise((r) => setTimeout(r, 10));
  const startMs = since(t0) / 1e6;
  gc(); // promote what starting them allocated, as for the baseline
  const waiting = await pauses();
  open();
  await Promise.all(ts.map((t) => t.result));
  obs.disconnect();

  const out = { name: 'scavenge', engine: engine(), waiting: N, gcs: K, churnObjects: CHURN, startMs, baseline, withWaiting: waiting };
  if (process.argv.includes('--json')) console.log(JSON.stringify(out));
  else {
    const f = (s) => `median ${s.medianUs.toFixed(0)} µs, max ${s.maxUs.toFixed(0)} µs`;
    console.log(`engine ${out.engine}: minor GC pause (${K} GCs each, timed around gc())`);
    console.log(`  0 waiting:      ${f(baseline.timed)}   (gc perf entries: ${baseline.observed ? f(baseline.observed) : 'none'})`);
    console.log(`  ${N} waiting: ${f(waiting.timed)}   (gc perf entries: ${waiting.observed ? f(waiting.observed) : 'none'})`);
    console.log(`  per waiting tasklet: ${((waiting.timed.medianUs - baseline.timed.medianUs) / N * 1000).toFixed(0)} ns of pause (medians)`);
  }
}

main();
