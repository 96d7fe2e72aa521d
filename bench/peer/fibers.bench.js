'use strict';
// node-fibers on Node 14: the same four questions as the tasklet benches,
// each answered the way fibers users wrote it. Run by bench/run.js with the
// Node 14 binary from bench/.peer when `npm run bench:peer-setup` was run.
const path = require('node:path');
const Fiber = require(path.join(__dirname, '..', '.peer', 'node_modules', 'fibers'));

const quick = process.argv.includes('--quick');
const N = quick ? 20000 : 200000;
const now = () => process.hrtime.bigint();
const since = (t) => Number(process.hrtime.bigint() - t);

function median(fn, n) {
  fn(Math.floor(n / 10));
  const xs = [0, 1, 2].map(() => fn(n) / n).sort((a, b) => a - b);
  return xs[1];
}

// One-way switch: fiber.run() / Fiber.yield() round trips.
function pingPong(n) {
  const f = Fiber(() => {
    for (;;) Fiber.yield();
  });
  f.run();
  const t = now();
  for (let i = 0; i < n; i++) f.run();
  return since(t) / 2;
}

// A blockOn-style wait: then() + yield, resumed from the promise callback.
function waitMicrotask(n, done) {
  const f = Fiber(() => {
    const t = now();
    for (let i = 0; i < n; i++) {
      Promise.resolve(i).then((v) => f.run(v));
      Fiber.yield();
    }
    done(since(t));
  });
  f.run();
}

// A rendezvous channel written on fibers: a sender waits until taken.
class FiberChannel {
  constructor() {
    this.receivers = [];
    this.senders = [];
  }
  send(v) {
    const r = this.receivers.shift();
    if (r) {
      r.run(v); // switch straight to the receiver; it yields back here
      return;
    }
    this.senders.push({ fiber: Fiber.current, v });
    Fiber.yield();
  }
  receive() {
    const s = this.senders.shift();
    if (s) {
      const v = s.v;
      s.fiber.run(); // let the sender continue until it blocks again
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

async function main() {
  const results = [];
  results.push({ case: 'one-way switch', ns: median(pingPong, N) });
  const micro = [];
  for (let r = 0; r < 3; r++) micro.push(await new Promise((res) => waitMicrotask(N / 2, res)) / (N / 2));
  results.push({ case: 'wait on a promise settled in a microtask', ns: micro.sort((a, b) => a - b)[1] });
  results.push({ case: 'rendezvous channel message', ns: median(channel, N) });
  results.push({ case: 'create + run + finish', ns: median(create, N / 4) });
  console.log(JSON.stringify({ name: 'fibers', node: process.version, results }));
}

main();
