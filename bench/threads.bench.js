'use strict';
// deferToThread: round-trip latency of one small task at a time, and
// throughput with 100 outstanding small tasks; against piscina and a plain
// MessagePort/postMessage echo worker, in the same run.
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const T = require('..');
const { quick, now, since, report } = require('./common');

const TASK = path.join(__dirname, 'threads-task.js');
const N = quick ? 2_000 : 20_000;
const OUTSTANDING = 100;

async function latency(run, n) {
  const start = now();
  for (let i = 0; i < n; i++) await run(i);
  return since(start) / n;
}

async function throughput(run, n) {
  const start = now();
  let next = 0;
  const lanes = Array.from({ length: OUTSTANDING }, async () => {
    while (next < n) await run(next++);
  });
  await Promise.all(lanes);
  return since(start) / n;
}

function echoWorker() {
  const w = new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage({ id: m.id, v: m.v + 1 }));", { eval: true });
  const pending = new Map();
  let id = 0;
  w.on('message', (m) => {
    pending.get(m.id)(m.v);
    pending.delete(m.id);
  });
  return {
    run: (v) => new Promise((resolve) => { pending.set(++id, resolve); w.postMessage({ id, v }); }),
    close: () => w.terminate(),
  };
}

async function median3(fn) {
  const xs = [];
  for (let r = 0; r < 3; r++) xs.push(await fn());
  return xs.sort((a, b) => a - b)[1];
}

async function main() {
  const { Piscina } = require('piscina');
  const pool = new T.ThreadPool({ minThreads: 2, maxThreads: 2 });
  const piscina = new Piscina({ filename: TASK, minThreads: 2, maxThreads: 2 });
  const echo = echoWorker();
  const ours = (i) => pool.run({ module: TASK }, i);
  const theirs = (i) => piscina.run(i);
  // warm-up
  await throughput(ours, 2000);
  await throughput(theirs, 2000);
  await throughput(echo.run, 2000);
  const res = [
    { case: 'deferToThread round trip, one at a time', ns: await median3(() => latency(ours, N / 4)), baselineCase: 'piscina run(), one at a time', baselineNs: await median3(() => latency(theirs, N / 4)) },
    { case: 'deferToThread round trip, one at a time', ns: await median3(() => latency(ours, N / 4)), baselineCase: 'postMessage echo worker, one at a time', baselineNs: await median3(() => latency(echo.run, N / 4)) },
    { case: 'deferToThread, 100 outstanding (per task)', ns: await median3(() => throughput(ours, N)), baselineCase: 'piscina, 100 outstanding (per task)', baselineNs: await median3(() => throughput(theirs, N)) },
  ];
  // ThreadChannel vs MessagePort: small values from a worker to main.
  const M = quick ? 2_000 : 100_000;
  const viaChannel = (capacity) => async () => {
    const ch = new T.ThreadChannel({ capacity });
    const start = now();
    const done = pool.run((c, n) => { for (let i = 0; i < n; i++) c.send(i); c.close(); }, ch, M);
    let count = 0;
    for await (const v of ch) count += v >= 0 ? 1 : 0;
    await done;
    return since(start) / count;
  };
  const viaPort = async () => {
    const w = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.postMessage('ready'); parentPort.once('message', (n) => { for (let i = 0; i < n; i++) parentPort.postMessage(i); parentPort.postMessage(-1); });", { eval: true });
    await new Promise((resolve) => w.once('message', resolve)); // started: not timed
    const start = now();
    let count = 0;
    await new Promise((resolve) => {
      w.on('message', (v) => { if (v < 0) resolve(); else count++; });
      w.postMessage(M);
    });
    const ns = since(start) / count;
    await w.terminate();
    return ns;
  };
  // A MessagePort's queue is unbounded: the like-for-like case is capacity
  // Infinity; capacity 64 shows what back-pressure costs.
  await viaChannel(Infinity)(); // warm-up (compiles the sending task in the worker)
  await viaPort();
  const portNs = await median3(viaPort);
  res.push({ case: 'ThreadChannel (capacity Infinity) worker -> main, per value', ns: await median3(viaChannel(Infinity)), baselineCase: 'MessagePort postMessage worker -> main, per value', baselineNs: portNs });
  res.push({ case: 'ThreadChannel (capacity 64) worker -> main, per value', ns: await median3(viaChannel(64)), baselineCase: 'MessagePort postMessage worker -> main, per value', baselineNs: portNs });
  report('threads', res);
  await pool.close();
  await piscina.destroy();
  await echo.close();
}

main();
