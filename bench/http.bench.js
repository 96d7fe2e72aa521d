'use strict';
// Requests per second (autocannon, 64 connections) for (a) a plain async
// handler awaiting a resolved promise, (b) serve() with a handler that
// blockOns one, (c) an Endpoint with 64 accepting tasklets — each server in
// its own process, the load generator in this one, one after the other.
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

async function main() {
  const plain = await rps('plain');
  const served = await rps('serve');
  const endpoint = await rps('endpoint');
  // Report ns per request so that bench/run.js ratios read like the others.
  const ns = (r) => 1e9 / r;
  const results = [
    { case: 'serve(): handler blockOn(resolved promise), per request', ns: ns(served), baselineCase: 'plain async handler', baselineNs: ns(plain) },
    { case: 'Endpoint, 64 accepting tasklets, per request', ns: ns(endpoint), baselineCase: 'plain async handler', baselineNs: ns(plain) },
  ];
  if (json) console.log(JSON.stringify({ name: 'http', results }));
  else {
    console.log(`plain async handler: ${plain.toFixed(0)} req/s`);
    console.log(`serve() + blockOn:   ${served.toFixed(0)} req/s (${(served / plain).toFixed(2)}x)`);
    console.log(`Endpoint, 64 tasklets: ${endpoint.toFixed(0)} req/s (${(endpoint / plain).toFixed(2)}x)`);
  }
}

main();
