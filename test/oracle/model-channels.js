// The oracle's model, part 2: channels (rendezvous, buffer, preference,
// sendException, close) and select(), as docs/api.md describes them.
'use strict';
const { SchedulerModel, err } = require('./model-scheduler');

/** Channel operations on the model's state; waking and switching come from SchedulerModel. */
class ChannelModel extends SchedulerModel {
  // --- channels ------------------------------------------------------------------------------

  /**
   * Hands a value of `ch` to a waiting receiver (a tasklet or a select
   * case); returns the tasklet to resume. The tasklet holds the value until
   * its receive returns: a kill or throw that overtakes it gives it back.
   */
  completeReceiver(ch, w, value, isExc) {
    if (w.group === undefined) {
      w.resumeValue = value;
      w.resumeFailed = isExc;
      this.delivered.set(tagOf(value), w);
      w.held = { ch, value, isExc };
      return w;
    }
    return this.fire(w, value, isExc, false);
  }
  /** A value given back (its receiver ended before taking it): the first waiting receiver gets it, else it goes in front. */
  putBack(ch, value, isExc) {
    this.delivered.delete(tagOf(value));
    if (ch.receivers.length > 0) {
      const t = this.completeReceiver(ch, ch.receivers.shift(), value, isExc);
      if (t !== null) this.wake(t);
      return;
    }
    ch.buffer.unshift({ value, isExc });
    if (ch.buffer.length > ch.cap) ch.senders.unshift({ w: undefined, ...ch.buffer.pop() });
  }
  /** The current tasklet took `value` from `ch` and resumes its sender `t`: it holds the value until that switch returns. */
  *resumeSender(ch, t, now, value, isExc) {
    const me = this.current;
    if (!now || me === this.main) return yield* this.resume(t, now);
    me.held = { ch, value, isExc };
    try {
      yield* this.resume(t, true);
    } finally {
      me.held = undefined;
    }
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
    if (value !== undefined) {
      this.delivered.set(tagOf(value), g.t);
      g.t.held = { ch: c.ch, value, isExc };
    }
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
      return { op: s.w === undefined ? 'done' : 'wake', value, isExc, w: s.w };
    }
    if (ch.senders.length > 0) {
      const s = ch.senders.shift(); // no w: a value given back
      return { op: s.w === undefined ? 'done' : 'wake', value: s.value, isExc: s.isExc, w: s.w };
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
      const t = this.completeReceiver(ch, r.w, value, isExc);
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
    this.delivered.set(tagOf(r.value), me); // taken: given back if a kill or throw overtakes the return
    if (r.w !== undefined) {
      const t = this.completeSender(r.w);
      if (t !== null) yield* this.resumeSender(ch, t, ch.pref > 0, r.value, r.isExc);
    }
    if (r.isExc) throw this.gotExc(r.value);
    return this.got(r.value);
  }

  /** trySend(): never blocks; 'true' if a receiver took it or it was buffered. */
  *trySend(c, value) {
    const ch = this.chans[c];
    const r = this.coreSend(ch, value, false, null);
    if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
    if (r.op === 'would') return 'false';
    if (r.op === 'wake') {
      const t = this.completeReceiver(ch, r.w, value, false);
      if (t !== null) yield* this.resume(t, ch.pref < 0);
    }
    return 'true';
  }

  /** tryReceive(): never blocks; the value, or 'none'. */
  *tryReceive(c) {
    const ch = this.chans[c];
    const r = this.coreReceive(ch, null);
    if (r.op === 'would') return 'none';
    if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
    this.delivered.set(tagOf(r.value), this.current);
    if (r.w !== undefined) {
      const t = this.completeSender(r.w);
      if (t !== null) yield* this.resumeSender(ch, t, ch.pref > 0, r.value, r.isExc);
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
          if (t !== null) yield* this.resumeSender(ch, t, ch.pref > 0, r.value, r.isExc);
        }
        if (r.isExc) throw this.gotExc(r.value);
        return `#${i} ${this.got(r.value)}`;
      }
      const r = this.coreSend(ch, `v${v}`, false, null);
      if (r.op === 'would') continue;
      if (r.op === 'closed') throw err('ERR_CHANNEL_CLOSED');
      if (r.op === 'wake') {
        const t = this.completeReceiver(ch, r.w, `v${v}`, false);
        if (t !== null) yield* this.resume(t, ch.pref < 0);
      }
      return `#${i} sent`;
    }
    if (d >= 0) return `#${d} default`;
    const g = { t: this.current, fired: false, cases: [] };
    cases.forEach(([kind, c, v], index) => {
      const ch = this.chans[c];
      const w = { group: g, index, ch }; // a send case's value never reaches fire()
      g.cases.push(w);
      if (kind === 'r') ch.receivers.push(w);
      else ch.senders.push({ w, value: `v${v}`, isExc: false });
    });
    const r = yield* this.block(() => this.cancelCases(g));
    if (r.closed) return `#${r.index} closed`;
    return cases[r.index][0] === 'r' ? `#${r.index} ${this.got(r.value)}` : `#${r.index} sent`;
  }
}

function tagOf(value) {
  return typeof value === 'string' ? value : value.tag;
}

module.exports = { ChannelModel, tagOf };
