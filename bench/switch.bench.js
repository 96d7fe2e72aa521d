'use strict';
// One-way switch: two tasklets ping-ponging with schedule(), beside an await
// of a resolved promise and a sync generator ping-pong, in the same run.
const T = require('..');
const { quick, measure, now, since, report, schedulePingPong } = require('./common');

const N = quick ? 20_000 : 200_000;

const tasklets = (n) => schedulePingPong(T, n);

async function awaitResolved(n) {
  const p = Promise.resolve(1);
  const start = now();
  for (let i = 0; i < n; i++) await p;
  return since(start);
}

function generators(n) {
  function* g() {
    for (;;) yield;
  }
  const a = g();
  const b = g();
  const start = now();
  for (let i = 0; i < n; i++) {
    a.next();
    b.next();
  }
  return since(start) / 2;
}

async function main() {
  const ours = await measure(tasklets, N);
  const viaAwait = await measure(awaitResolved, N * 5);
  const viaGen = await measure(generators, N * 5);
  report('switch', [
    { case: 'one-way switch, schedule() ping-pong between 2 tasklets', ns: ours, baselineCase: 'await of a resolved promise', baselineNs: viaAwait },
    { case: 'one-way switch, schedule() ping-pong between 2 tasklets', ns: ours, baselineCase: 'sync generator next() ping-pong', baselineNs: viaGen },
  ]);
}

main();
