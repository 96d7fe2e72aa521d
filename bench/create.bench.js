'use strict';
// Create + run + finish a tasklet (pooled strands or fiber stacks), beside calling and
// awaiting an async function, in the same run.
const T = require('..');
const { quick, measure, now, since, report } = require('./common');

const N = quick ? 5_000 : 50_000;
const BATCH = 100;

async function tasklets(n) {
  const start = now();
  for (let done = 0; done < n; done += BATCH) {
    const ts = [];
    for (let i = 0; i < BATCH; i++) ts.push(T.spawn((x) => x + 1, i));
    T.run();
    await ts[BATCH - 1].result;
  }
  return since(start);
}

async function asyncFns(n) {
  const f = async (x) => x + 1;
  const start = now();
  for (let done = 0; done < n; done += BATCH) {
    const ps = [];
    for (let i = 0; i < BATCH; i++) ps.push(f(i));
    await ps[BATCH - 1];
  }
  return since(start);
}

async function main() {
  const ours = await measure(tasklets, N, 3, BATCH);
  const base = await measure(asyncFns, N * 10, 3, BATCH);
  report('create', [
    { case: 'create + run + finish a tasklet', ns: ours, baselineCase: 'call + await an async function', baselineNs: base },
  ]);
}

main();
