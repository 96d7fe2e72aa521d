'use strict';
// Rendezvous channel ping-pong between two tasklets (ns per message), beside
// the plain-JS equivalent: two async functions ping-ponging over a
// promise-based rendezvous queue, measured in the same process run.
const T = require('..');

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const N = quick ? 20_000 : 200_000;

/** A promise-based rendezvous channel: what users write without tasklets. */
class AsyncChannel {
  constructor() {
    this.senders = [];
    this.receivers = [];
  }
  send(value) {
    const r = this.receivers.shift();
    if (r) {
      r(value);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.senders.push({ value, resolve }));
  }
  receive() {
    const s = this.senders.shift();
    if (s) {
      s.resolve();
      return Promise.resolve(s.value);
    }
    return new Promise((resolve) => this.receivers.push(resolve));
  }
}

async function asyncPingPong(n) {
  const ping = new AsyncChannel();
  const pong = new AsyncChannel();
  const start = process.hrtime.bigint();
  const a = (async () => {
    for (let i = 0; i < n; i++) {
      await ping.send(i);
      await pong.receive();
    }
  })();
  const b = (async () => {
    for (let i = 0; i < n; i++) {
      const v = await ping.receive();
      await pong.send(v);
    }
  })();
  await Promise.all([a, b]);
  return Number(process.hrtime.bigint() - start) / (2 * n);
}

async function taskletPingPong(n) {
  const ping = new T.Channel();
  const pong = new T.Channel();
  const start = process.hrtime.bigint();
  const a = T.spawn(() => {
    for (let i = 0; i < n; i++) {
      ping.send(i);
      pong.receive();
    }
  });
  const b = T.spawn(() => {
    for (let i = 0; i < n; i++) pong.send(ping.receive());
  });
  await Promise.all([a.result, b.result]);
  return Number(process.hrtime.bigint() - start) / (2 * n);
}

async function main() {
  await taskletPingPong(N / 10);
  await asyncPingPong(N / 10);
  const ours = [];
  const base = [];
  for (let r = 0; r < 3; r++) {
    ours.push(await taskletPingPong(N));
    base.push(await asyncPingPong(N));
  }
  const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const result = {
    name: 'channel',
    results: [
      {
        case: 'rendezvous message, tasklet Channel ping-pong',
        ns: median(ours),
        baselineCase: 'rendezvous message, promise-based async channel ping-pong',
        baselineNs: median(base),
      },
    ],
  };
  if (json) console.log(JSON.stringify(result));
  else {
    for (const r of result.results) {
      console.log(`${r.case}: ${r.ns.toFixed(0)} ns`);
      console.log(`${r.baselineCase}: ${r.baselineNs.toFixed(0)} ns`);
      console.log(`ratio: ${(r.ns / r.baselineNs).toFixed(2)}x`);
    }
  }
}

main();
