'use strict';
// Many suspended tasklets: start N that all block on one promise, measure
// resident memory per tasklet and memory maps, CPU while they wait, then
// release them all and time their ends.  node bench/scale.bench.js [N]
// (run.js: the fiber engine at 100,000; strands at 10,000 — each waiting
// strand is an OS thread and pid_max is 32,768 here.)
const fs = require('node:fs');
const T = require('..');
const { engine } = require('./common');

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? (process.argv.includes('--quick') ? 3000 : 30000));

let started = 0;
let open;
const gate = new Promise((r) => (open = r));
const rss0 = process.memoryUsage().rss;
const t0 = Date.now();
const ts = [];
for (let i = 0; i < N; i++) {
  ts.push(
    T.spawn(() => {
      started++;
      T.blockOn(gate);
    }),
  );
}
const iv = setInterval(() => {
  if (started < N) return;
  clearInterval(iv);
  const startMs = Date.now() - t0;
  const rssKb = (process.memoryUsage().rss - rss0) / N / 1024;
  const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
  const u0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  setTimeout(() => {
    const u = process.cpuUsage(u0);
    const cpu = (u.user + u.system) / (Number(process.hrtime.bigint() - w0) / 1000);
    const t1 = Date.now();
    open();
    Promise.all(ts.map((t) => t.result)).then(() => {
      const out = { engine: engine(), tasklets: N, startMs, startUsEach: (startMs * 1000) / N, rssKbPerTasklet: rssKb, maps, cpuWhileWaiting: cpu, finishMs: Date.now() - t1 };
      if (process.argv.includes('--json')) console.log(JSON.stringify(out));
      else
        console.log(
          `${out.engine}: ${N} suspended tasklets: started in ${startMs} ms (${out.startUsEach.toFixed(1)} µs each), ${rssKb.toFixed(1)} KB RSS each, ${maps} memory maps, ` +
            `${(cpu * 100).toFixed(2)}% of a core while they wait, all ended ${out.finishMs} ms after release`,
        );
    });
  }, 1000);
}, 10);
