'use strict';
// Requests per second (autocannon, 64 connections) for (a) a plain async
// handler awaiting a resolved promise, (b) serve() with a handler that
// blockOns one, (c) an Endpoint with 64 accepting tasklets — each server in
// its own process, the load generator in this one; three interleaved rounds.
const { spawn } = require('node:child_process');
const path = require('node:path');
const autocannon = require('autocannon');
const { quick, json } = require('./common');

const duration = quick ? 2 : 5;

function start(kind) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'http-server.js'), kind], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
    child.once('error', reject);
  });
}

async function rps(kind) {
  const { child, port } = await start(kind);
  try {
    await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 64, duration: 1 }); // warm-up
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 64, duration });
    if (r.errors || r.non2xx) throw new Error(`${kind}: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return r.requests.average;
  } finally {
    child.kill();
  }
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  // Interleaved rounds, medians: this VM's speed drifts by tens of percent
  // within a minute, which one run per server would charge to one of them.
  const rounds = quick ? 1 : 3;
  const runs = { plain: [], serve: [], endpoint: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of Object.keys(runs)) runs[kind].push(await rps(kind));
  }
  if (!json) for (const [kind, xs] of Object.entries(runs)) console.log(`${kind}: ${xs.map((x) => x.toFixed(0)).join(' / ')} req/s`);
  const plain = median(runs.plain);
  const served = median(runs.serve);
  const endpoint = median(runs.endpoint);
  // Report ns per request so that bench/run.js ratios read like the others.
  const ns = (r) => 1e9 / r;
  const results = [
    { case: 'serve(): handler blockOn(resolved promise), per request', ns: ns(served), baselineCase: 'plain async handler', baselineNs: ns(plain) },
    { case: 'Endpoint, 64 accepting tasklets, per request', ns: ns(endpoint), baselineCase: 'plain async handler', baselineNs: ns(plain) },
  ];
  if (json) console.log(JSON.stringify({ name: 'http', results }));
  else {
    console.log(`medians of ${rounds} interleaved rounds:`);
    console.log(`plain async handler: ${plain.toFixed(0)} req/s`);
    console.log(`serve() + blockOn:   ${served.toFixed(0)} req/s (${(served / plain).toFixed(2)}x)`);
    console.log(`Endpoint, 64 tasklets: ${endpoint.toFixed(0)} req/s (${(endpoint / plain).toFixed(2)}x)`);
  }
}

main();
