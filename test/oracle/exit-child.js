// One oracle program in its own process, left to the exit pass: prints the
// whole trace (including what the exit pass ran) and the live count at exit.
// Usage: node test/oracle/exit-child.js '<program as JSON>' (Infinity as "Infinity")
'use strict';
const path = require('node:path');
const T = require(path.join(__dirname, '..', '..', 'dist', 'cjs', 'index.js'));
const { runReal } = require('./real');

T.configure({ timeSlice: 3_600_000 }); // as in cli.js: no slice ends mid-program
const warnings = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
const prog = JSON.parse(process.argv[2], (_, v) => (v === 'Infinity' ? Infinity : v));
runReal(T, prog, { exitPass: true }).then(({ trace, tasks }) => {
  // Registered after the library's beforeExit listener: runs once the exit pass is over.
  process.on('exit', () => {
    const alive = [...tasks].filter(([, t]) => t.alive).map(([k]) => k);
    process.stdout.write(`${JSON.stringify({ trace, live: T.stats().liveTasklets, alive, warnings })}\n`);
  });
});
