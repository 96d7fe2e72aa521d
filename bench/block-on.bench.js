'use strict';
// blockOn in a hot loop: (a) an already-settled native promise, (b) a promise
// settled in a microtask; beside `await` of the same, in the same run.
const T = require('..');
const { quick, measure, now, since, report } = require('./common');

const N = quick ? 20_000 : 200_000;

async function blockOnSettled(n) {
  const p = Promise.resolve(1);
  const t = T.spawn(() => {
    const start = now();
    for (let i = 0; i < n; i++) T.blockOn(p);
    return since(start);
  });
  return t.result;
}

async function awaitSettled(n) {
  const p = Promise.resolve(1);
  const start = now();
  for (let i = 0; i < n; i++) await p;
  return since(start);
}

async function blockOnMicrotask(n) {
  const t = T.spawn(() => {
    const start = now();
    for (let i = 0; i < n; i++) T.blockOn(Promise.resolve(i).then((v) => v));
    return since(start);
  });
  return t.result;
}

async function awaitMicrotask(n) {
  const start = now();
  for (let i = 0; i < n; i++) await Promise.resolve(i).then((v) => v);
  return since(start);
}

async function main() {
  const settled = await measure(blockOnSettled, N * 5);
  const settledBase = await measure(awaitSettled, N * 5);
  const micro = await measure(blockOnMicrotask, N / 2);
  const microBase = await measure(awaitMicrotask, N / 2);
  report('block-on', [
    { case: 'blockOn(already-settled promise)', ns: settled, baselineCase: 'await of the same', baselineNs: settledBase },
    { case: 'blockOn(promise settled in a microtask)', ns: micro, baselineCase: 'await of the same', baselineNs: microBase },
  ]);
}

main();
