'use strict';
// Requests per second (autocannon, 64 connections) of the same handler in
// three styles: a plain async handler (the baseline), serve() and an
// Endpoint with 64 accepting tasklets; for handlers that wait for
//   immediate  one setImmediate turn (every request switches),
//   io         readFile of a small file + fetch() of a local backend server
//              (its own process),
//   resolved   an already-resolved promise (blockOn returns without a switch:
//              the cost of the plumbing alone, not of waiting).
// Each server runs in its own process, the load generator in this one;
// three interleaved rounds, medians.
//   node bench/http.bench.js [immediate] [io] [resolved] [--quick] [--json]
const { spawn } = require('node:child_process');
const path = require('node:path');
const autocannon = require('autocannon');
const { quick, json } = require('./common');

const duration = quick ? 1 : 3;
const rounds = quick ? 1 : 3;
const styles = ['plain', 'serve', 'endpoint'];
const allWaits = ['immediate', 'io', 'resolved'];
const chosen = process.argv.slice(2).filter((a) => allWaits.includes(a));
const waits = chosen.length > 0 ? chosen : allWaits;
const described = {
  immediate: 'one setImmediate wait',
  io: 'readFile + fetch(local backend)',
  resolved: 'a resolved promise (no switch)',
};

function start(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'http-server.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
    child.once('error', reject);
  });
}

async function rps(args) {
  const { child, port } = await start(args);
  try {
    const url = `http://127.0.0.1:${port}/`;
    // Warm-up: fetch() (undici) takes a couple of seconds to reach its pace.
    await autocannon({ url, connections: 64, duration: quick ? 1 : 2 });
    const r = await autocannon({ url, connections: 64, duration });
    if (r.errors || r.non2xx) throw new Error(`${args.join(' ')}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return r.requests.average;
  } finally {
    child.kill();
  }
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const backend = await start(['backend']);
  const results = [];
  try {
    for (const wait of waits) {
      // Interleaved rounds, medians: this VM's speed drifts by tens of
      // percent within a minute, which one run per style would charge to it.
      const runs = { plain: [], serve: [], endpoint: [] };
      for (let r = 0; r < rounds; r++) {
        for (const style of styles) runs[style].push(await rps([wait, style, String(backend.port)]));
      }
      const plain = median(runs.plain);
      if (!json) {
        console.log(`${described[wait]} (${rounds} interleaved rounds of ${duration} s):`);
        for (const style of styles) {
          const ratios = runs[style].map((x, i) => (x / runs.plain[i]).toFixed(2));
          console.log(
            `  ${style.padEnd(8)} ${runs[style].map((x) => x.toFixed(0)).join(' / ')} req/s, median ${median(runs[style]).toFixed(0)}` +
              ` (${(median(runs[style]) / plain).toFixed(2)}x plain; per round ${ratios.join(' / ')})`,
          );
        }
      }
      // ns per request, so that bench/run.js-style ratios read like the others.
      const ns = (x) => 1e9 / x;
      for (const style of ['serve', 'endpoint']) {
        results.push({
          case: `${style === 'serve' ? 'serve()' : 'Endpoint, 64 accepting tasklets'}: ${described[wait]}, per request`,
          ns: ns(median(runs[style])),
          baselineCase: `plain async handler: ${described[wait]}`,
          baselineNs: ns(plain),
        });
      }
    }
  } finally {
    backend.child.kill();
  }
  if (json) console.log(JSON.stringify({ name: 'http', results }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
