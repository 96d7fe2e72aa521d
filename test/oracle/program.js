// Random tasklet programs for the oracle: a seeded generator, the shared
// interpreter of one tasklet's instruction list, and printing/minimizing.
'use strict';

/** mulberry32: a tiny seeded PRNG (returns floats in [0, 1)). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickWeighted(rand, table) {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = rand() * total;
  for (const [name, w] of table) {
    x -= w;
    if (x < 0) return name;
  }
  return table[table.length - 1][0];
}

// Instruction weights: what a tasklet does, and what main does between pumps.
const TASK_OPS = [
  ['send', 14], ['sendx', 3], ['recv', 14], ['select', 8], ['sched', 8], ['schedrm', 2],
  ['spawn', 4], ['run', 3], ['insert', 3], ['remove', 2], ['kill', 3], ['throw', 3],
  ['sleep', 4], ['block', 6], ['close', 3], ['open', 1], ['settle', 1], ['count', 2],
  ['state', 2], ['peek', 2], ['runall', 0.5],
  ['trysend', 4], ['tryrecv', 4], ['switch', 2], ['killp', 2], ['throwp', 2],
];
const MAIN_OPS = [
  ['spawn', 16], ['quiesce', 12], ['tick', 8], ['settle', 8], ['run', 3], ['insert', 3],
  ['remove', 2], ['kill', 3], ['throw', 3], ['close', 3], ['open', 1], ['sched', 3],
  ['runall', 4], ['select', 3], ['send', 0.5], ['recv', 0.5], ['count', 1], ['state', 1], ['peek', 1],
  ['trysend', 3], ['tryrecv', 3], ['switch', 1], ['killp', 2], ['throwp', 2],
];

/**
 * A program: channels ({cap, pref}), promises main can settle, one
 * instruction list per tasklet (tasklet k runs tasks[k]), and main's steps.
 * Values and errors carry program-unique numbers so each can be traced.
 */
function generate(seed) {
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  // Few channels and promises, so that tasklets meet on them often.
  const nChans = [1, 1, 2, 2, 3][int(5)];
  const long = rand() < 0.2; // one program in five: more tasklets, longer lists
  const nTasks = 2 + int(long ? 8 : 5);
  const nProm = 1 + int(2);
  const chans = [];
  for (let i = 0; i < nChans; i++) {
    chans.push({ cap: [0, 0, 1, 1, 2, Infinity][int(6)], pref: [-1, 0, 1][int(3)] });
  }
  let serial = 0;
  const target = () => (rand() < 0.06 ? -1 : int(nTasks)); // -1: the main tasklet
  const op = (table, isMain) => {
    const name = pickWeighted(rand, table);
    switch (name) {
      case 'send': case 'sendx': case 'trysend': return [name, int(nChans), ++serial];
      case 'recv': case 'close': case 'open': case 'peek': case 'tryrecv': return [name, int(nChans)];
      case 'select': {
        const cases = [];
        const used = new Set();
        const n = 1 + int(3);
        for (let i = 0; i < n; i++) {
          const c = int(nChans);
          if (used.has(c)) continue; // one case per channel
          used.add(c);
          cases.push(rand() < 0.5 ? ['r', c] : ['s', c, ++serial]);
        }
        if (isMain || rand() < 0.3) cases.splice(int(cases.length + 1), 0, ['d']);
        return ['select', cases];
      }
      case 'spawn': return ['spawn', int(nTasks)];
      case 'run': case 'insert': case 'remove': case 'kill': case 'state': case 'switch': case 'killp': return [name, target()];
      case 'throw': case 'throwp': return [name, target(), ++serial, rand() < 0.4];
      case 'block': return ['block', int(nProm)];
      case 'settle': return ['settle', int(nProm), rand() < 0.7];
      default: return [name];
    }
  };
  const tasks = [];
  for (let k = 0; k < nTasks; k++) {
    const ins = [];
    const n = int(long ? 20 : 9);
    for (let i = 0; i < n; i++) ins.push(op(TASK_OPS, false));
    tasks.push(ins);
  }
  const main = [['spawn', 0]];
  for (let i = int(3); i > 0; i--) main.push(['spawn', 1 + int(nTasks - 1)]);
  const n = 3 + int(long ? 30 : 13);
  for (let i = 0; i < n; i++) main.push(op(MAIN_OPS, true));
  return { seed, chans, nProm, tasks, main };
}

/** A compact text for an instruction. */
function show(ins) {
  const [name, ...a] = ins;
  switch (name) {
    case 'send': return `send c${a[0]} v${a[1]}`;
    case 'sendx': return `sendException c${a[0]} x${a[1]}`;
    case 'recv': case 'close': case 'open': case 'peek': return `${name} c${a[0]}`;
    case 'trysend': return `trySend c${a[0]} v${a[1]}`;
    case 'tryrecv': return `tryReceive c${a[0]}`;
    case 'select':
      return `select[${a[0].map((c) => (c[0] === 'r' ? `r c${c[1]}` : c[0] === 's' ? `s c${c[1]} v${c[2]}` : 'default')).join(', ')}]`;
    case 'spawn': case 'run': case 'insert': case 'remove': case 'kill': case 'state': case 'switch':
      return `${name} ${a[0] < 0 ? 'main' : `T${a[0]}`}`;
    case 'killp': return `kill pending ${a[0] < 0 ? 'main' : `T${a[0]}`}`;
    case 'throw': case 'throwp':
      return `${name === 'throw' ? 'throw' : 'throw pending'} ${a[0] < 0 ? 'main' : `T${a[0]}`} ${a[2] ? 'F' : ''}e${a[1]}`;
    case 'block': return `blockOn p${a[0]}`;
    case 'settle': return `${a[1] ? 'resolve' : 'reject'} p${a[0]}`;
    default: return name;
  }
}

/**
 * One tasklet's life, shared by the model and the real run: a generator
 * that yields each instruction to its driver, which performs it (really, or
 * in the model) and passes back a text for the result or throws its error.
 * Each instruction's errors are caught and logged, except TaskletExit and
 * fatal injected errors, which end the tasklet (its finally block logs).
 * `kind(e)` names an error: 'exit', 'code:ERR_…', a value tag ('x3'), 'F:e5'.
 */
function* body(k, ins, log, kind) {
  log(`T${k} start`);
  try {
    for (let i = 0; i < ins.length; i++) {
      let out;
      try {
        out = yield ins[i];
      } catch (e) {
        const c = kind(e);
        if (c === 'exit' || c.startsWith('F:')) {
          log(`T${k}.${i} ${show(ins[i])} !${c}`);
          throw e;
        }
        out = `!${c}`;
      }
      log(`T${k}.${i} ${show(ins[i])} -> ${out}`);
    }
    log(`T${k} end`);
    return `r${k}`;
  } finally {
    log(`T${k} finally`);
  }
}

/** A program as readable text (for failure reports). */
function describe(prog) {
  const lines = [`seed ${prog.seed}: ${prog.chans.map((c, i) => `c${i}{cap ${c.cap}, pref ${c.pref}}`).join(' ')}, ${prog.nProm} promise(s)`];
  lines.push(`  main: ${prog.main.map(show).join('; ')}`);
  prog.tasks.forEach((ins, k) => lines.push(`  T${k}: ${ins.map(show).join('; ')}`));
  return lines.join('\n');
}

/**
 * Shrinks a failing program: drops main steps, tasklet instructions and
 * whole tasklet programs while `await fails(prog)` stays true.
 */
async function minimize(prog, fails) {
  let cur = prog;
  for (let changed = true; changed; ) {
    changed = false;
    const candidates = [];
    for (let i = cur.main.length - 1; i >= 0; i--) {
      candidates.push({ ...cur, main: cur.main.filter((_, j) => j !== i) });
    }
    cur.tasks.forEach((ins, k) => {
      if (ins.length > 0) candidates.push({ ...cur, tasks: cur.tasks.map((x, j) => (j === k ? [] : x)) });
      for (let i = ins.length - 1; i >= 0; i--) {
        candidates.push({ ...cur, tasks: cur.tasks.map((x, j) => (j === k ? x.filter((_, m) => m !== i) : x)) });
      }
    });
    for (const c of candidates) {
      if (await fails(c)) {
        cur = c;
        changed = true;
        break;
      }
    }
  }
  return cur;
}

module.exports = { prng, generate, show, body, describe, minimize };
