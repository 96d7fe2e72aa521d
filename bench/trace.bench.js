'use strict';
// What a schedule callback costs: the schedule() ping-pong of switch.bench.js
// with no callback (the baseline, in the same run) and with a trivial one.
// Cases alternate (none, trivial, none, trivial) to spread the machine's drift.
const T = require('..');
const { quick, measure, report, schedulePingPong } = require('./common');

const N = quick ? 20_000 : 200_000;

const pingPong = (n) => schedulePingPong(T, n);

let switches = 0;
function trivial() {
  switches++;
}

async function withCallback(n) {
  T.setScheduleCallback(trivial);
  try {
    return await pingPong(n);
  } finally {
    T.setScheduleCallback(null);
  }
}

async function main() {
  const none = [];
  const traced = [];
  for (let i = 0; i < 2; i++) {
    none.push(await measure(pingPong, N));
    traced.push(await measure(withCallback, N));
  }
  const best = (xs) => Math.min(...xs);
  if (switches === 0) throw new Error('the callback was never called');
  report('trace', [
    {
      case: 'one-way switch, schedule() ping-pong, trivial schedule callback',
      ns: best(traced),
      baselineCase: 'the same, no callback',
      baselineNs: best(none),
    },
  ]);
}

main();
