// The real side of the oracle: runs a program (program.js) against the
// library, each tasklet interpreting its instruction list with the shared
// body, and returns the same kind of trace as the model.
'use strict';
const { body, show } = require('./program');

/** Main awaits this many microtask hops: more than any chain of pump → reaction → pump in these programs. */
const HOPS = 30;

async function quiesce() {
  for (let i = 0; i < HOPS; i++) await null;
}

/**
 * Runs `prog` with the library `T`; resolves to its trace, the values whose
 * send completed, the values received (for the conservation check) and the
 * end state (live tasklets, channel balances). With `exitPass`, resolves to
 * the trace as soon as main's steps are done and leaves the tasklets to the
 * process's exit pass (the trace grows meanwhile).
 */
async function runReal(T, prog, { exitPass = false } = {}) {
  const trace = [];
  const log = (s) => trace.push(s);
  const kind = (e) => {
    if (e instanceof T.TaskletExit) return 'exit';
    if (e && typeof e.tag === 'string') return (e.fatal ? 'F:' : '') + e.tag;
    if (e && typeof e.code === 'string') return `code:${e.code}`;
    return `unexpected:${e && e.stack ? e.stack : String(e)}`;
  };
  const sentOk = [];
  const received = [];
  const objects = new Map();
  const value = (n) => {
    const o = { v: `v${n}` };
    objects.set(o.v, o);
    return o;
  };
  const got = (o) => {
    if (o === null || typeof o !== 'object' || typeof o.v !== 'string') return `weird:${String(o)}`;
    received.push(o.v);
    return objects.get(o.v) === o ? o.v : `${o.v}(a copy)`;
  };
  const gotExc = (e) => {
    if (e && typeof e.tag === 'string' && e.tag[0] === 'x') received.push(e.tag);
    return e;
  };
  const chans = prog.chans.map((c) => {
    const ch = new T.Channel({ capacity: c.cap });
    ch.preference = c.pref;
    return ch;
  });
  const proms = Array.from({ length: prog.nProm }, () => {
    const d = {};
    d.p = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
    d.p.catch(() => {}); // a rejection nobody blocks on is handled
    return d;
  });
  const tasks = new Map();
  const target = (k) => (k < 0 ? T.getmain() : tasks.get(k));

  function select(cases) {
    const real = cases.map(([kind, c, v]) =>
      kind === 'r' ? { receive: chans[c] } : kind === 's' ? { send: chans[c], value: value(v) } : { default: true },
    );
    let r;
    try {
      r = T.select(real);
    } catch (e) {
      throw gotExc(e);
    }
    const kindOf = cases[r.index][0];
    if (kindOf === 'd') return `#${r.index} default`;
    if (r.closed) return `#${r.index} closed`;
    if (kindOf === 's') {
      sentOk.push(real[r.index].value.v);
      return `#${r.index} sent`;
    }
    return `#${r.index} ${got(r.value)}`;
  }

  function exec(ins) {
    const [name, a, b, c] = ins;
    switch (name) {
      case 'send': chans[a].send(value(b)); sentOk.push(`v${b}`); return 'ok';
      case 'sendx':
        chans[a].sendException(Object.assign(new Error(`x${b}`), { tag: `x${b}` }));
        sentOk.push(`x${b}`);
        return 'ok';
      case 'recv':
        try {
          return got(chans[a].receive());
        } catch (e) {
          throw gotExc(e);
        }
      case 'select': return select(a);
      case 'trysend': {
        const o = value(b);
        if (!chans[a].trySend(o)) return 'false';
        sentOk.push(o.v);
        return 'true';
      }
      case 'tryrecv': {
        let r;
        try {
          r = chans[a].tryReceive();
        } catch (e) {
          throw gotExc(e);
        }
        return r.ok ? got(r.value) : 'none';
      }
      case 'switch': { const t = target(a); if (!t) return 'none'; t.switch(); return 'ok'; }
      case 'killp': { const t = target(a); if (!t) return 'none'; t.kill({ pending: true }); return 'ok'; }
      case 'throwp': {
        const t = target(a);
        if (!t) return 'none';
        t.throw(Object.assign(new Error(`e${b}`), { tag: `e${b}`, fatal: c }), { pending: true });
        return 'ok';
      }
      case 'sched': T.schedule(); return 'ok';
      case 'schedrm': T.scheduleRemove(); return 'ok';
      case 'spawn': {
        if (tasks.has(a)) return 'dup';
        const t = T.spawn(tasklet, a);
        tasks.set(a, t);
        t.result.catch(() => {}); // a fatal error is looked at in the finale
        return 'ok';
      }
      case 'run': { const t = target(a); if (!t) return 'none'; t.run(); return 'ok'; }
      case 'insert': { const t = target(a); if (!t) return 'none'; t.insert(); return 'ok'; }
      case 'remove': { const t = target(a); if (!t) return 'none'; t.remove(); return 'ok'; }
      case 'kill': { const t = target(a); if (!t) return 'none'; t.kill(); return 'ok'; }
      case 'throw': {
        const t = target(a);
        if (!t) return 'none';
        t.throw(Object.assign(new Error(`e${b}`), { tag: `e${b}`, fatal: c }));
        return 'ok';
      }
      case 'sleep': T.sleep(0); return 'ok';
      case 'block': return T.blockOn(proms[a].p);
      case 'settle':
        if (b) proms[a].resolve(`p${a}`);
        else proms[a].reject(Object.assign(new Error(`j${a}`), { tag: `j${a}` }));
        return 'ok';
      case 'close': chans[a].close(); return 'ok';
      case 'open': chans[a].open(); return 'ok';
      case 'count': return `n${T.getruncount()} live ${T.stats().liveTasklets}`;
      case 'state': {
        const t = target(a);
        if (!t) return 'none';
        return `${t.alive ? 'A' : '-'}${t.blocked ? 'B' : '-'}${t.scheduled ? 'S' : '-'}`;
      }
      case 'peek': {
        const ch = chans[a];
        return `b${ch.balance} n${ch.buffered}${ch.closing ? ' closing' : ''}${ch.closed ? ' closed' : ''}`;
      }
      case 'runall': T.run(); return 'ok';
      default: throw new Error(`unknown instruction ${name}`);
    }
  }

  /** A tasklet: the shared body, each instruction performed for real. */
  function tasklet(k) {
    const g = body(k, prog.tasks[k], log, kind);
    let r = g.next();
    while (!r.done) {
      let out;
      let error;
      let failed = false;
      try {
        out = exec(r.value);
      } catch (e) {
        failed = true;
        error = e;
      }
      r = failed ? g.throw(error) : g.next(out);
    }
    return r.value;
  }

  // Main's steps run synchronously one after the other; only quiesce and
  // tick await (microtask hops, a timer), as in the model.
  function mainLine(i, ins) {
    let out;
    try {
      out = exec(ins);
    } catch (e) {
      out = `!${kind(e)}`;
    }
    log(`M.${i} ${show(ins)} -> ${out}`);
  }
  async function mainAwait(i, ins) {
    if (ins[0] === 'tick') await new Promise((resolve) => setTimeout(resolve, 0));
    await quiesce();
    if (i !== undefined) log(`M.${i} ${show(ins)} -> ok`);
  }

  // Start in a timer callback, after the previous program's setImmediate work.
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < prog.main.length; i++) {
    const ins = prog.main[i];
    if (ins[0] === 'quiesce' || ins[0] === 'tick') await mainAwait(i, ins);
    else mainLine(i, ins);
  }
  await quiesce();
  // exitPass: leave what is left to the exit pass (sleepers still wake on their timers).
  if (exitPass) return { trace, tasks };
  // The finale (as in the model): kill what is left, drain the buffers, look at the end state.
  const ks = [...tasks.keys()].sort((x, y) => x - y);
  for (const k of ks) mainLine('end', ['kill', k]);
  await quiesce();
  const balances = [];
  chans.forEach((ch, c) => {
    const drained = [];
    for (;;) {
      let out;
      try {
        out = select([['r', c], ['d']]);
      } catch (e) {
        out = `!${kind(e)}`;
      }
      if (out === '#1 default' || out === '#0 closed') break;
      drained.push(out.replace(/^#0 /, ''));
    }
    log(`drain c${c}: ${drained.join(' ')}`);
    log(`end c${c}: ${exec(['peek', c])}`);
    balances.push(ch.balance);
  });
  const live = T.stats().liveTasklets;
  log(`live ${live}`);
  for (const k of ks) {
    let out;
    try {
      out = `${await tasks.get(k).result}`;
    } catch (e) {
      out = `rejected ${kind(e)}`;
    }
    log(`result T${k}: ${out}`);
  }
  return { trace, sentOk, received, live, balances };
}

module.exports = { runReal };
