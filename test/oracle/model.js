// The reference model for the oracle: the scheduler, channels, select,
// sleep and blockOn of docs/api.md in plain JS, run on the shared
// interpreter (program.js). Tasklets are generators; a switch is a yield.
'use strict';
const { body, show } = require('./program');

class ModelExit {}
class ModelError {
  constructor(code) {
    this.code = code;
  }
}
const err = (code) => new ModelError(code);

/**
 * Departures from docs/api.md found by the oracle and not fixed yet. A
 * program whose model run meets one is reported as such; by default it is
 * kept out of the comparison (ORACLE_STRICT=1 compares it anyway, against
 * the documented behaviour).
 */
const DEPARTURES = {
  D1:
    'a tasklet left runnable when main gets control back from a switch it made ' +
    '(Tasklet#run/kill/throw or schedule() in main) does not run on the event loop: ' +
    'no pump is scheduled, so it waits for an unrelated wake or the exit pass',
  D2:
    'the exit pass leaves a tasklet that was set up but removed from the queue before it started: ' +
    'it is still alive at exit (its result never settles), where kill() would have ended it without running it',
};

/**
 * One program run in the model. Main is a plain caller; each tasklet a
 * generator (the shared body driven through exec()) whose yields name the
 * tasklet to switch to. Microtasks (pumps, promise reactions) are a queue
 * main drains when it awaits; sleep(0) timers fire at main's ticks.
 */
class Model {
  constructor(prog) {
    this.prog = prog;
    this.trace = [];
    this.departures = new Set();
    this.main = { k: -1, isMain: true, phase: 'started', queued: false, blocked: false };
    this.current = this.main;
    this.queue = [];
    this.tasks = new Map();
    this.live = new Set();
    this.micro = [];
    this.pumpScheduled = false;
    this.sleepers = [];
    this.chans = prog.chans.map((c) => ({ cap: c.cap, pref: c.pref, closing: false, buffer: [], senders: [], receivers: [] }));
    this.proms = Array.from({ length: prog.nProm }, () => ({ state: 'pending', value: undefined, reactions: [] }));
    this.delivered = new Map(); // value id -> the tasklet (or main) it was handed to or taken by
    this.received = new Set();
    this.log = (s) => this.trace.push(s);
    this.kind = (e) => {
      if (e instanceof ModelExit) return 'exit';
      if (e instanceof ModelError) return `code:${e.code}`;
      if (e && typeof e.tag === 'string') return (e.fatal ? 'F:' : '') + e.tag;
      throw new Error(`model bug: unexpected error ${e && e.stack}`);
    };
  }

  // --- the run queue and switching -------------------------------------------------

  enqueue(t, front = false) {
    if (t.queued) return;
    t.queued = true;
    if (front) this.queue.unshift(t);
    else this.queue.push(t);
  }
  unqueue(t) {
    if (!t.queued) return;
    t.queued = false;
    this.queue.splice(this.queue.indexOf(t), 1);
  }
  dequeue() {
    const t = this.queue[0];
    if (t !== undefined) this.unqueue(t);
    return t;
  }
  /** Who the suspending tasklet hands the thread to: the next runnable, else main (the slice never ends here). */
  nextTarget() {
    return this.dequeue() ?? this.main;
  }
  runCount() {
    return this.queue.length + 1 + (this.current !== this.main && !this.main.queued ? 1 : 0);
  }

  /** Main switches to `target`; tasklets run until one switches back to main. */
  enter(target) {
    while (target !== this.main) {
      this.current = target;
      target = this.step(target);
    }
    this.current = this.main;
  }

  /** Resumes tasklet `t` (starting it, or raising its pending error) until it names the next target. */
  step(t) {
    let r;
    if (t.phase === 'ready') {
      t.phase = 'started';
      this.live.add(t);
      t.gen = this.life(t);
      r = t.gen.next();
    } else if (t.pending !== undefined) {
      const { error } = t.pending;
      t.pending = undefined;
      r = t.gen.throw(error);
    } else {
      r = t.gen.next();
    }
    return r.value;
  }

  *life(t) {
    let failed = false;
    let value;
    try {
      value = yield* this.drive(t);
    } catch (e) {
      failed = !(e instanceof ModelExit);
      value = failed ? e : undefined;
    }
    this.finish(t, failed, value);
    return this.nextTarget();
  }

  *drive(t) {
    const g = body(t.k, this.prog.tasks[t.k], this.log, this.kind);
    let r = g.next();
    while (!r.done) {
      let out;
      let error;
      let failed = false;
      try {
        out = yield* this.exec(r.value);
      } catch (e) {
        failed = true;
        error = e;
      }
      r = failed ? g.throw(error) : g.next(out);
    }
    return r.value;
  }

  finish(t, failed, value) {
    t.phase = 'dead';
    t.blocked = false;
    t.cancelWait = undefined;
    this.unqueue(t);
    this.live.delete(t);
    t.outcome = { failed, value };
  }

  // --- waking and blocking -------------------------------------------------------------

  ensurePump() {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    this.micro.push(() => this.pump());
  }
  pump() {
    this.pumpScheduled = false;
    if (this.current !== this.main || this.queue.length === 0) return;
    this.enter(this.dequeue());
  }
  /** Main awaits: microtasks run until none is left. */
  drainMicro() {
    while (this.micro.length > 0) this.micro.shift()();
  }
  unblock(t) {
    t.blocked = false;
    t.cancelWait = undefined;
  }
  wake(t) {
    this.unblock(t);
    this.enqueue(t);
    this.ensurePump();
  }
  /** A completed wait: switch to `t` now (caller runs right after it) when `now` in a tasklet, else queue it. */
  *resume(t, now) {
    if (now && this.current !== this.main) {
      this.unblock(t);
      yield* this.runNow(t);
    } else {
      this.wake(t);
    }
  }
  *runNow(t) {
    const me = this.current;
    this.unqueue(t);
    this.enqueue(me, true);
    try {
      yield t;
    } finally {
      this.unqueue(me);
    }
  }
  *block(cancel) {
    const me = this.current;
    me.blocked = true;
    me.cancelWait = cancel;
    yield this.nextTarget();
    const v = me.resumeValue;
    me.resumeValue = undefined;
    if (me.resumeFailed) {
      me.resumeFailed = false;
      if (v && typeof v.tag === 'string') this.received.add(v.tag); // a sent exception
      throw v;
    }
    return v;
  }

  // --- channels ------------------------------------------------------------------------------

  /** Hands a value to a waiting receiver (a tasklet or a select case); returns the tasklet to resume. */
  completeReceiver(w, value, isExc) {
    if (w.group === undefined) {
      w.resumeValue = value;
      w.resumeFailed = isExc;
      this.delivered.set(tagOf(value), w);
      return w;
    }
    return this.fire(w, value, isExc, false);
  }
  completeSender(w) {
    if (w.group === undefined) {
      w.resumeValue = undefined;
      w.resumeFailed = false;
      return w;
    }
    return this.fire(w, undefined, false, false);
  }
  fire(c, value, isExc, closed) {
    const g = c.group;
    if (g.fired) return null;
    g.fired = true;
    this.cancelCases(g, c);
    if (value !== undefined) this.delivered.set(tagOf(value), g.t);
    if (isExc) {
      g.t.resumeValue = value;
      g.t.resumeFailed = true;
    } else {
      g.t.resumeValue = { index: c.index, value, closed };
      g.t.resumeFailed = false;
    }
    return g.t;
  }
  cancelCases(g, except) {
    for (const c of g.cases) if (c !== except) this.cancelWaiter(c.ch, c);
  }
  cancelWaiter(ch, w) {
    let i = ch.senders.findIndex((s) => s.w === w);
    if (i >= 0) return void ch.senders.splice(i, 1);
    i = ch.receivers.indexOf(w);
    if (i >= 0) ch.receivers.splice(i, 1);
  }
  isClosed(ch) {
    return ch.closing && ch.buffer.length === 0 && ch.senders.length === 0;
  }
  /** Matches a send: 'wake' (w), 'done' (buffered), 'blocked' (queued with `waiter`), 'would', 'closed'. */
  coreSend(ch, value, isExc, waiter) {
    if (ch.closing) return { op: 'closed' };
    if (ch.receivers.length > 0) return { op: 'wake', w: ch.receivers.shift() };
    if (ch.buffer.length < ch.cap) {
      ch.buffer.push({ value, isExc });
      return { op: 'done' };
    }
    if (waiter === null) return { op: 'would' };
    ch.senders.push({ w: waiter, value, isExc });
    return { op: 'blocked' };
  }
  /** Matches a receive: buffered value first (a waiting sender's value moves into the freed slot), then a waiting sender. */
  coreReceive(ch, waiter) {
    if (ch.buffer.length > 0) {
      const { value, isExc } = ch.buffer.shift();
      if (ch.senders.length === 0) return { op: 'done', value, isExc };
      const s = ch.senders.shift();
      ch.buffer.push({ value: s.value, isExc: s.isExc });
      return { op: 'wake', value, isExc, w: s.w };
    }
    if (ch.senders.length > 0) {
      const s = ch.senders.shift();
      return { op: 'wake', value: s.value, isExc: s.isExc, w: s.w };
    }
    if (ch.closing) return { op: 'closed' };
    if (waiter === null) return { op: 'would' };
    ch.receivers.push(waiter);
    return { op: 'blocked' };
  }

  *send(c, value, isExc) {
    if (this.current === this.main) throw err('ERR_BLOCKING_IN_MAIN');
    const ch = this.chans[c];
    const me = this.current;
    const r = this.coreSend(ch, value, isExc, me);
    if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
    if (r.op === 'wake') {
      const t = this.completeReceiver(r.w, value, isExc);
      if (t !== null) yield* this.resume(t, ch.pref < 0);
    } else if (r.op === 'blocked') {
      yield* this.block(() => this.cancelWaiter(ch, me));
    }
    return 'ok';
  }

  *receive(c) {
    if (this.current === this.main) throw err('ERR_BLOCKING_IN_MAIN');
    const ch = this.chans[c];
    const me = this.current;
    const r = this.coreReceive(ch, me);
    if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
    if (r.op === 'blocked') return this.got(yield* this.block(() => this.cancelWaiter(ch, me)));
    this.delivered.set(tagOf(r.value), me); // taken: lost if a kill or throw overtakes the return
    if (r.w !== undefined) {
      const t = this.completeSender(r.w);
      if (t !== null) yield* this.resume(t, ch.pref > 0);
    }
    if (r.isExc) throw this.gotExc(r.value);
    return this.got(r.value);
  }

  got(v) {
    this.received.add(v);
    return v;
  }
  gotExc(e) {
    this.received.add(e.tag);
    return e;
  }

  close(c) {
    const ch = this.chans[c];
    ch.closing = true;
    if (!this.isClosed(ch)) return;
    for (const w of ch.receivers.splice(0)) {
      if (w.group === undefined) {
        w.resumeValue = err('ERR_CHANNEL_CLOSED');
        w.resumeFailed = true;
        this.wake(w);
      } else {
        const t = this.fire(w, undefined, false, true);
        if (t !== null) this.wake(t);
      }
    }
  }

  *select(cases) {
    const d = cases.findIndex((c) => c[0] === 'd');
    if (d < 0 && this.current === this.main) throw err('ERR_BLOCKING_IN_MAIN');
    for (let i = 0; i < cases.length; i++) {
      const [kind, c, v] = cases[i];
      if (kind === 'd') continue;
      const ch = this.chans[c];
      if (kind === 'r') {
        const r = this.coreReceive(ch, null);
        if (r.op === 'would') continue;
        if (r.op === 'closed') return `#${i} closed`;
        this.delivered.set(tagOf(r.value), this.current);
        if (r.w !== undefined) {
          const t = this.completeSender(r.w);
          if (t !== null) yield* this.resume(t, ch.pref > 0);
        }
        if (r.isExc) throw this.gotExc(r.value);
        return `#${i} ${this.got(r.value)}`;
      }
      const r = this.coreSend(ch, `v${v}`, false, null);
      if (r.op === 'would') continue;
      if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
      if (r.op === 'wake') {
        const t = this.completeReceiver(r.w, `v${v}`, false);
        if (t !== null) yield* this.resume(t, ch.pref < 0);
      }
      return `#${i} sent`;
    }
    if (d >= 0) return `#${d} default`;
    const g = { t: this.current, fired: false, cases: [] };
    cases.forEach(([kind, c, v], index) => {
      const ch = this.chans[c];
      const w = { group: g, index, ch };
      g.cases.push(w);
      if (kind === 'r') ch.receivers.push(w);
      else ch.senders.push({ w, value: `v${v}`, isExc: false });
    });
    const r = yield* this.block(() => this.cancelCases(g));
    if (r.closed) return `#${r.index} closed`;
    return cases[r.index][0] === 'r' ? `#${r.index} ${this.got(r.value)}` : `#${r.index} sent`;
  }

  // --- tasklets --------------------------------------------------------------------------------

  target(k) {
    return k < 0 ? this.main : this.tasks.get(k);
  }
  checkRunnable(t, what) {
    if (t.isMain) {
      if (what === 'run' && t === this.current) return;
      throw err('ERR_MAIN_TASKLET');
    }
    if (t.phase === 'dead') throw err('ERR_TASKLET_DEAD');
    if (t.blocked) throw err('ERR_TASKLET_BLOCKED');
  }
  *raise(t, error) {
    if (t.isMain) throw err('ERR_MAIN_TASKLET');
    if (t === this.current) throw error;
    if (t.phase !== 'started') {
      const exit = error instanceof ModelExit;
      this.finish(t, !exit, exit ? undefined : error);
      return;
    }
    const cancel = t.cancelWait;
    t.cancelWait = undefined;
    if (cancel !== undefined) cancel();
    t.blocked = false;
    t.pending = { error };
    yield* this.runNow(t);
  }

  /** Performs one instruction for the current tasklet (or main); returns the text of its result. */
  *exec(ins) {
    const me = this.current;
    const inMain = me === this.main;
    const [name, a, b, c] = ins;
    switch (name) {
      case 'send': return yield* this.send(a, `v${b}`, false);
      case 'sendx': return yield* this.send(a, { tag: `x${b}` }, true);
      case 'recv': return yield* this.receive(a);
      case 'select': return yield* this.select(a);
      case 'sched':
        if (inMain) {
          if (this.runCount() <= 1) return 'ok';
          this.enqueue(me);
          try {
            yield this.nextTarget();
          } finally {
            this.unqueue(me);
          }
          return 'ok';
        }
        this.enqueue(me);
        yield this.nextTarget();
        return 'ok';
      case 'schedrm':
        if (inMain) throw err('ERR_BLOCKING_IN_MAIN');
        yield this.nextTarget();
        return 'ok';
      case 'spawn': {
        if (this.tasks.has(a)) return 'dup';
        const t = { k: a, phase: 'ready', queued: false, blocked: false, pending: undefined, cancelWait: undefined };
        this.tasks.set(a, t);
        this.enqueue(t);
        this.ensurePump();
        return 'ok';
      }
      case 'run': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        this.checkRunnable(t, 'run');
        if (t === me) return 'ok';
        yield* this.runNow(t);
        return 'ok';
      }
      case 'insert': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        this.checkRunnable(t, 'insert');
        if (t === me) return 'ok';
        this.enqueue(t);
        this.ensurePump();
        return 'ok';
      }
      case 'remove': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        if (t.isMain) throw err('ERR_MAIN_TASKLET');
        if (t === me) throw err('ERR_TASKLET_CURRENT');
        this.unqueue(t);
        return 'ok';
      }
      case 'kill': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        if (t.phase === 'dead') return 'ok';
        yield* this.raise(t, new ModelExit());
        return 'ok';
      }
      case 'throw': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        if (t.phase === 'dead') throw err('ERR_TASKLET_DEAD');
        yield* this.raise(t, { tag: `e${b}`, fatal: c });
        return 'ok';
      }
      case 'sleep': {
        if (inMain) throw err('ERR_BLOCKING_IN_MAIN');
        this.sleepers.push(me);
        yield* this.block(() => this.sleepers.splice(this.sleepers.indexOf(me), 1));
        return 'ok';
      }
      case 'block': {
        if (inMain) throw err('ERR_BLOCKING_IN_MAIN');
        const p = this.proms[a];
        if (p.state === 'fulfilled') return p.value;
        if (p.state === 'rejected') throw p.value;
        const reaction = { t: me, active: true };
        p.reactions.push(reaction);
        return yield* this.block(() => {
          reaction.active = false;
        });
      }
      case 'settle': {
        const p = this.proms[a];
        if (p.state !== 'pending') return 'ok';
        p.state = b ? 'fulfilled' : 'rejected';
        p.value = b ? `p${a}` : { tag: `j${a}` };
        for (const reaction of p.reactions.splice(0)) {
          this.micro.push(() => {
            if (!reaction.active) return;
            reaction.active = false;
            reaction.t.resumeFailed = !b;
            reaction.t.resumeValue = p.value;
            this.wake(reaction.t);
          });
        }
        return 'ok';
      }
      case 'close': this.close(a); return 'ok';
      case 'open': this.chans[a].closing = false; return 'ok';
      case 'count': return `n${this.runCount()}`;
      case 'state': {
        const t = this.target(a);
        if (t === undefined) return 'none';
        const alive = t.isMain || t.phase === 'ready' || t.phase === 'started';
        return `${alive ? 'A' : '-'}${t.blocked ? 'B' : '-'}${t.queued || t === me ? 'S' : '-'}`;
      }
      case 'peek': {
        const ch = this.chans[a];
        return `b${ch.senders.length - ch.receivers.length} n${ch.buffer.length}${ch.closing ? ' closing' : ''}${this.isClosed(ch) ? ' closed' : ''}`;
      }
      case 'runall':
        if (!inMain) throw err('ERR_TASKLET_CURRENT');
        while (this.queue.length > 0) yield this.dequeue();
        return 'ok';
      default:
        throw new Error(`model bug: unknown instruction ${name}`);
    }
  }

  // --- main ------------------------------------------------------------------------------

  /** Runs one main step: an instruction (switching as it asks), an await of microtasks, or a timer tick. */
  mainStep(ins) {
    if (ins[0] === 'quiesce') {
      this.drainMicro();
      return 'ok';
    }
    if (ins[0] === 'tick') {
      // Main's setTimeout(0) goes after every sleeper armed so far (same list, creation order);
      // the pending microtasks run first; each sleeper's wake then runs to quiescence before the next timer.
      const due = [...this.sleepers];
      this.drainMicro();
      for (const t of due) {
        const i = this.sleepers.indexOf(t);
        if (i < 0) continue;
        this.sleepers.splice(i, 1);
        t.resumeValue = undefined;
        t.resumeFailed = false;
        this.wake(t);
        this.drainMicro();
      }
      this.drainMicro();
      return 'ok';
    }
    const g = this.exec(ins);
    let r = g.next();
    while (!r.done) {
      this.enter(r.value);
      r = g.next();
    }
    return r.value;
  }

  checkStranded() {
    if (this.queue.length > 0 && !this.pumpScheduled) {
      this.departures.add('D1');
      this.ensurePump(); // what the docs promise: runnable tasklets run on the event loop
    }
  }

  mainLine(i, ins) {
    let out;
    try {
      out = this.mainStep(ins);
    } catch (e) {
      out = `!${this.kind(e)}`;
    }
    this.checkStranded();
    this.log(`M.${i} ${show(ins)} -> ${out}`);
  }

  /**
   * Runs main's steps and lets the loop run dry (sleepers wake on their
   * timers), as a process does before its exit pass; returns the trace so
   * far and the tasklets the exit pass must end (each runs its finally once).
   */
  runToExit() {
    this.prog.main.forEach((ins, i) => this.mainLine(i, ins));
    this.mainStep(['quiesce']);
    while (this.sleepers.length > 0) this.mainStep(['tick']);
    this.checkStranded();
    // A tasklet set up but taken out of the queue before it started: the pass
    // should end it without running it (as kill() does), so it logs nothing.
    const idle = [...this.tasks.values()].filter((t) => t.phase === 'ready' && !t.queued);
    if (idle.length > 0) this.departures.add('D2');
    const alive = [...this.tasks.values()].filter((t) => t.phase === 'started' || (t.phase === 'ready' && t.queued)).map((t) => t.k);
    return { trace: this.trace, departures: [...this.departures], alive };
  }

  /** Runs the whole program, then the common ending (see finale in real.js). */
  run() {
    this.prog.main.forEach((ins, i) => this.mainLine(i, ins));
    this.mainStep(['quiesce']);
    const ks = [...this.tasks.keys()].sort((x, y) => x - y);
    for (const k of ks) this.mainLine(`end`, ['kill', k]);
    this.mainStep(['quiesce']);
    this.chans.forEach((ch, c) => {
      const got = [];
      for (;;) {
        let out;
        try {
          out = this.mainStep(['select', [['r', c], ['d']]]);
        } catch (e) {
          out = `!${this.kind(e)}`;
        }
        if (out === '#1 default' || out === '#0 closed') break;
        got.push(out.replace(/^#0 /, ''));
      }
      this.log(`drain c${c}: ${got.join(' ')}`);
      this.log(`end c${c}: ${this.mainStep(['peek', c])}`);
    });
    this.log(`live ${this.live.size}`);
    for (const k of ks) {
      const o = this.tasks.get(k).outcome;
      this.log(`result T${k}: ${o === undefined ? 'none' : o.failed ? `rejected ${this.kind(o.value)}` : `${o.value}`}`);
    }
    const lost = [];
    for (const [v, t] of this.delivered) if (!this.received.has(v)) lost.push(`${v}->${t.isMain ? 'main' : `T${t.k}`}`);
    return { trace: this.trace, departures: [...this.departures], lost };
  }
}

function tagOf(value) {
  return typeof value === 'string' ? value : value.tag;
}

module.exports = { Model, DEPARTURES };
