// select(): wait on several channel operations and complete exactly one,
// the first that is ready (Go's select; Stackless has none).
import { OP_CLOSED, OP_WAKE, OP_WOULD_BLOCK, type ChannelBaseInstance } from './native';
import { ChannelClosedError, blockingInMain, invalidArgType, invalidArgValue, messages } from './errors';
import { block, checkSuspendable, getCurrentTasklet, hold, inTasklet, resume, stateOf } from './scheduler';
import * as trace from './trace';
import { Channel, type CaseWaiter, completeReceiver, completeSender, putBack, resumeSender } from './channel';
import type { Tasklet } from './tasklet';

/** A case of {@link select}: receive from a channel, send a value on one, or don't block. */
export type SelectCase<T = unknown> =
  | { receive: Channel<T> }
  | { send: Channel<T>; value: T }
  | { default: true };

/** Which case of {@link select} completed. */
export interface SelectResult<T = unknown> {
  /** Index of the case in the array. */
  index: number;
  /** The value received (receive cases), else undefined. */
  value: T | undefined;
  /** True when a receive case completed because its channel is closed and drained. */
  closed: boolean;
}

/** The result of case `C` at index `I`: a receive case's value keeps its channel's type. */
export type SelectCaseResult<C, I extends number> = C extends { receive: Channel<infer T> }
  ? { index: I; value: T; closed: false } | { index: I; value: undefined; closed: true }
  : C extends { send: Channel<any> } | { default: true }
    ? { index: I; value: undefined; closed: false }
    : SelectResult;

type IndexOf<K> = K extends `${infer N extends number}` ? N : never;

/**
 * What {@link select} returns for the cases `C`: for a tuple of cases, a
 * union that `result.index === i` narrows to case i's result; for an array
 * of unknown length, {@link SelectResult}.
 */
export type SelectResultOf<C extends readonly SelectCase<any>[]> = number extends C['length']
  ? SelectResult<C[number] extends { receive: Channel<infer T> } ? T : unknown>
  : { [K in keyof C]: SelectCaseResult<C[K], IndexOf<K>> }[number];

const out: unknown[] = [undefined, undefined, false];

class Group {
  fired = false;
  result: SelectResult | undefined;
  readonly waiters: Case[] = [];
  constructor(readonly tasklet: Tasklet) {}

  cancelAll(except?: Case): void {
    for (const w of this.waiters) {
      if (w !== except) (w.channel as unknown as ChannelBaseInstance)._cancel(w);
    }
  }
}

class Case implements CaseWaiter {
  constructor(
    readonly group: Group,
    readonly index: number,
    readonly channel: Channel<unknown>,
    readonly receiving: boolean,
  ) {}

  fire(value: unknown, isException: boolean, closed: boolean): Tasklet | null {
    const g = this.group;
    if (g.fired) return null;
    g.fired = true;
    g.cancelAll(this);
    const s = stateOf(g.tasklet);
    // A receive case holds its value until select() returns (see completeReceiver()).
    if (this.receiving && !closed) hold(s, putBack, this.channel, value, isException);
    if (isException) {
      s.resumeValue = value;
      s.resumeFailed = true;
    } else {
      s.resumeValue = { index: this.index, value, closed };
      s.resumeFailed = false;
    }
    return g.tasklet;
  }
}

function checkCases(cases: unknown): asserts cases is SelectCase[] {
  if (!Array.isArray(cases)) throw invalidArgType('cases', 'an instance of Array', cases);
  if (cases.length === 0) throw invalidArgValue('cases', cases, 'must not be empty');
  let defaults = 0;
  cases.forEach((c, i) => {
    const ok =
      c !== null &&
      typeof c === 'object' &&
      (('receive' in c && c.receive instanceof Channel) ||
        ('send' in c && c.send instanceof Channel) ||
        ('default' in c && c.default === true));
    if (!ok) {
      throw invalidArgValue(`cases[${i}]`, c, 'must be { receive: channel }, { send: channel, value } or { default: true }');
    }
    if ('default' in c) defaults++;
  });
  if (defaults > 1) throw invalidArgValue('cases', cases, 'must have at most one default case');
}

function preferenceOf(ch: Channel<unknown>): number {
  return ch.preference;
}

/**
 * Completes the first ready case (in array order) and says which, with the
 * value received. Without a ready case: returns the `{ default: true }` case
 * if there is one, else blocks the calling tasklet until one is ready.
 * A receive case on a closed, drained channel is ready (`closed: true`);
 * a send case on a closed channel throws ChannelClosedError.
 */
export function select<const C extends readonly SelectCase<any>[]>(cases: C): SelectResultOf<C>;
export function select(cases: readonly SelectCase[]): SelectResult {
  checkCases(cases);
  const defaultIndex = cases.findIndex((c) => 'default' in c);
  const blocking = defaultIndex < 0;
  if (blocking && !inTasklet()) {
    throw blockingInMain('select() without a default case', 'add { default: true } or use receiveAsync()');
  }
  if (blocking) checkSuspendable();
  let ready = firstReady(cases);
  if (ready !== undefined) return ready;
  if (!blocking) return { index: defaultIndex, value: undefined, closed: false };
  if (trace.channelHook !== null) {
    // Report each wait, then look again: the callback may have made a case ready.
    for (const c of cases) {
      if ('receive' in c) trace.onChannel(c.receive, getCurrentTasklet(), false, true);
      else if ('send' in c) trace.onChannel(c.send, getCurrentTasklet(), true, true);
    }
    ready = firstReady(cases);
    if (ready !== undefined) return ready;
  }

  // Nothing ready: wait on every case at once.
  const group = new Group(getCurrentTasklet());
  cases.forEach((c, i) => {
    if ('receive' in c) {
      const w = new Case(group, i, c.receive as Channel<unknown>, true);
      group.waiters.push(w);
      (c.receive as unknown as ChannelBaseInstance)._wait(w, false, undefined, false);
    } else if ('send' in c) {
      const w = new Case(group, i, c.send as Channel<unknown>, false);
      group.waiters.push(w);
      (c.send as unknown as ChannelBaseInstance)._wait(w, true, c.value, false);
    }
  });
  return block(() => group.cancelAll()) as SelectResult;
}

/** Completes the first case (in array order) that is ready now, if any. */
function firstReady(cases: readonly SelectCase[]): SelectResult | undefined {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as SelectCase;
    if ('receive' in c) {
      const base = c.receive as unknown as ChannelBaseInstance;
      const op = base._receive(undefined, out);
      if (op === OP_WOULD_BLOCK) continue;
      if (op === OP_CLOSED) return { index: i, value: undefined, closed: true };
      const value = out[0];
      const isException = out[2] as boolean;
      const w = out[1] as object | undefined;
      out[0] = out[1] = undefined;
      if (trace.channelHook !== null) trace.onChannel(c.receive, getCurrentTasklet(), false, false);
      if (op === OP_WAKE && w !== undefined) {
        const t = completeSender(w);
        if (t !== null) resumeSender(c.receive, t, preferenceOf(c.receive) > 0, value, isException);
      }
      if (isException) throw value;
      return { index: i, value, closed: false };
    }
    if ('send' in c) {
      const base = c.send as unknown as ChannelBaseInstance;
      const op = base._send(c.value, false, undefined, out);
      if (op === OP_WOULD_BLOCK) continue;
      if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed('select() send case'));
      const w = out[1] as object | undefined;
      out[1] = undefined;
      if (trace.channelHook !== null) trace.onChannel(c.send, getCurrentTasklet(), true, false);
      if (op === OP_WAKE) {
        const t = completeReceiver(c.send, w!, c.value, false);
        if (t !== null) resume(t, preferenceOf(c.send) < 0);
      }
      return { index: i, value: undefined, closed: false };
    }
  }
  return undefined;
}
