'use strict';
// Rendezvous channel ping-pong between two tasklets (ns per message), beside
// the plain-JS equivalent: two async functions ping-ponging over a
// promise-based rendezvous queue, measured in the same process run.
const T = require('..');
const { quick, measure, now, since, report } = require('./common');

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
  const start = now();
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
  return since(start) / 2; // two messages per round
}

async function taskletPingPong(n) {
  const ping = new T.Channel();
  const pong = new T.Channel();
  const start = now();
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
  return since(start) / 2;
}

async function main() {
  const ours = await measure(taskletPingPong, N);
  const base = await measure(asyncPingPong, N);
  report('channel', [
    {
      case: 'rendezvous message, tasklet Channel ping-pong',
      ns: ours,
      baselineCase: 'promise-based async channel ping-pong',
      baselineNs: base,
    },
  ]);
}

main();
