'use strict';
// tasklet/fibers against node-fibers: the work of bench/peer/fibers.bench.js
// (run()/yield() ping-pong, a wait resumed from a promise callback, a
// rendezvous channel written on fibers, create + run + finish), written the
// same way against tasklet/fibers. bench/run.js shows each beside the peer's
// number; the baselines are plain JS in this process.
const Fiber = require('../dist/cjs/fibers/index.js');
const { quick, measure, now, since, report } = require('./common');

const N = quick ? 20_000 : 200_000;

// One-way switch: fiber.run() / Fiber.yield() round trips.
function pingPong(n) {
  const f = Fiber(() => {
    for (;;) Fiber.yield();
  });
  f.run();
  const t = now();
  for (let i = 0; i < n; i++) f.run();
  const ns = since(t) / 2;
  f.reset();
  return ns;
}

// A wait the node-fibers way: then() + yield, resumed by run() from the promise callback.
function waitMicrotask(n) {
  return new Promise((resolve) => {
    const f = Fiber(() => {
      const t = now();
      for (let i = 0; i < n; i++) {
        Promise.resolve(i).then((v) => f.run(v));
        Fiber.yield();
      }
      resolve(since(t));
    });
    f.run();
  });
}

// The peer's rendezvous channel on fibers, unchanged: a sender waits until taken.
class FiberChannel {
  constructor() {
    this.receivers = [];
    this.senders = [];
  }
  send(v) {
    const r = this.receivers.shift();
    if (r) {
      r.run(v);
      return;
    }
    this.senders.push({ fiber: Fiber.current, v });
    Fiber.yield();
  }
  receive() {
    const s = this.senders.shift();
    if (s) {
      const v = s.v;
      s.fiber.run();
      return v;
    }
    this.receivers.push(Fiber.current);
    return Fiber.yield();
  }
}

function channel(n) {
  const ping = new FiberChannel();
  const pong = new FiberChannel();
  const t = now();
  const a = Fiber(() => {
    for (let i = 0; i < n; i++) {
      ping.send(i);
      pong.receive();
    }
  });
  const b = Fiber(() => {
    for (let i = 0; i < n; i++) pong.send(ping.receive());
  });
  b.run();
  a.run();
  return since(t) / 2;
}

function create(n) {
  const t = now();
  for (let i = 0; i < n; i++) Fiber((x) => x + 1).run(i);
  return since(t);
}

// Baselines: plain JS doing the nearest thing without a stack switch.
function generators(n) {
  function* g() {
    for (;;) yield;
  }
  const a = g();
  a.next();
  const t = now();
  for (let i = 0; i < n; i++) a.next();
  return since(t) / 2;
}

async function awaitMicrotask(n) {
  const t = now();
  for (let i = 0; i < n; i++) await Promise.resolve(i);
  return since(t);
}

function callClosure(n) {
  const t = now();
  let s = 0;
  for (let i = 0; i < n; i++) s += ((x) => x + 1)(i);
  if (s === -1) console.log(s);
  return since(t);
}

async function main() {
  const results = [];
  const gen = await measure(generators, N * 5);
  results.push({ case: 'tasklet/fibers: one-way switch, fiber.run()/Fiber.yield()', ns: await measure(pingPong, N), baselineCase: 'sync generator next() (a round trip / 2)', baselineNs: gen });
  results.push({
    case: 'tasklet/fibers: wait, yield() resumed by run() from a promise callback',
    ns: await measure(waitMicrotask, N / 2),
    baselineCase: 'await of a promise settled in a microtask',
    baselineNs: await measure(awaitMicrotask, N),
  });
  results.push({ case: 'tasklet/fibers: rendezvous channel written on fibers', ns: await measure(channel, N), baselineCase: 'sync generator next() (a round trip / 2)', baselineNs: gen });
  results.push({ case: 'tasklet/fibers: Fiber(fn).run() to the end', ns: await measure(create, N / 4), baselineCase: 'a closure created and called', baselineNs: await measure(callClosure, N * 5) });
  report('fibers-api', results);
}

main();
