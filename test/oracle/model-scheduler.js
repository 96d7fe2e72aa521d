// The oracle's model, part 1: the scheduler of docs/api.md in plain JS —
// run queue, switching (tasklets are generators; a switch is a yield),
// microtasks and the pump, waking and blocking, run/kill/throw.
'use strict';
const { body } = require('./program');

class ModelExit {}
class ModelError {
  constructor(code) {
    this.code = code;
  }
}
const err = (code) => new ModelError(code);

/**
 * The model's state and scheduler. Main is a plain caller; each tasklet a
 * generator (the shared body driven through exec(), defined by Model) whose
 * yields name the tasklet to switch to. Microtasks (pumps, promise
 * reactions) are a queue main drains when it awaits.
 */
class SchedulerModel {
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
    this.sleepers = []; // sleep(0) timers in the order they were armed
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
      if (t.pending !== undefined) {
        // Raised pending before it started: it ends without running its function.
        const { error } = t.pending;
        t.pending = undefined;
        throw error;
      }
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
    me.held = undefined; // it takes what it was handed
    const v = me.resumeValue;
    me.resumeValue = undefined;
    if (me.resumeFailed) {
      me.resumeFailed = false;
      if (v && typeof v.tag === 'string') this.received.add(v.tag); // a sent exception
      throw v;
    }
    return v;
  }

  // --- tasklets --------------------------------------------------------------------------------

  target(k) {
    return k < 0 ? this.main : this.tasks.get(k);
  }
  checkRunnable(t, what) {
    if (t.isMain) {
      if ((what === 'run' || what === 'switch') && t === this.current) return;
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
    this.giveBack(t);
    t.pending = { error };
    yield* this.runNow(t);
  }
  /** kill/throw with { pending: true }: withdraw the wait, queue the tasklet; it raises when it next runs. */
  raisePending(t, error) {
    if (t.isMain) throw err('ERR_MAIN_TASKLET');
    if (t === this.current) throw error;
    const cancel = t.cancelWait;
    t.cancelWait = undefined;
    if (cancel !== undefined) cancel();
    this.giveBack(t);
    t.pending = { error };
    this.wake(t);
  }
  /** A value a channel handed to `t` that it has not taken goes back to the channel (putBack, in ChannelModel). */
  giveBack(t) {
    const h = t.held;
    if (h === undefined) return;
    t.held = undefined;
    t.resumeValue = undefined;
    t.resumeFailed = false;
    this.putBack(h.ch, h.value, h.isExc);
  }
}

module.exports = { SchedulerModel, ModelExit, ModelError, err };
