// Repro (not a test): Node 24+, both engines. Tasklets switching under AsyncLocalStorage while
// short-lived context frames are created (nested als.run) die in a scavenge (SIGSEGV/SIGTRAP).
// Usage: N=2000 node scripts/repro/als-nested-run-crash.js   (loops of 4 runs: 4/4 crash on fiber, 2/4 on strand)
const { spawn, blockOn, schedule } = require(process.env.TL || require("path").join(__dirname, "../.."));
const { AsyncLocalStorage } = require('node:async_hooks');
const als = new AsyncLocalStorage();
const N = +(process.env.N || 200);
for (let i = 0; i < 20; i++) spawn(() => als.run({ i }, () => {
  for (let k = 0; k < N; k++) {
    if (k % 5 === 0) als.run({ i, k }, () => {});
    else if (k % 3 === 0) blockOn(Promise.resolve(k)); else schedule();
    if (als.getStore().i !== i) throw new Error('wrong store');
  }
}));
setTimeout(() => console.log('ok'), 10);
