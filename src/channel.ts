// Channel: Stackless channels (rendezvous, balance, preference,
// sendException, close, iteration) plus buffering and Promise forms. The
// queues live in native code (ChannelCore); this file decides who runs.
import {
  native,
  OP_BLOCKED,
  OP_CLOSED,
  OP_DONE,
  OP_WAKE,
  OP_WOULD_BLOCK,
  type ChannelBaseInstance,
} from './native';
import { ChannelClosedError, blockingInMain, checkNumber, checkOptions, invalidArgType, messages, outOfRange } from './errors';
import { block, checkSuspendable, dropHeld, getCurrentTasklet, hold, inTasklet, maySwitchNow, resume, stateOf, wake } from './scheduler';
import * as trace from './trace';
import { Tasklet } from './tasklet';

/** Options for {@link Channel}. */
export interface ChannelOptions {
  /** How many values the channel holds without a receiver: 0 (default) is a rendezvous; Infinity is unbounded. */
  capacity?: number;
}

/** Who runs after a rendezvous: -1 the receiver (default), 1 the sender, 0 neither (the woken side is queued). */
export type Preference = -1 | 0 | 1;

/** What {@link Channel.tryReceive} returns: the value if one was ready. */
export type TryReceiveResult<T> = { ok: true; value: T } | { ok: false };

/** A pending sendAsync()/receiveAsync(). */
export class PromiseWaiter {
  constructor(
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** One case of a pending select(); fire() completes the whole select. */
export interface CaseWaiter {
  fire(value: unknown, isException: boolean, closed: boolean): Tasklet | null;
}

const out: unknown[] = [undefined, undefined, false];

/**
 * Completes a waiting receiver of `ch` with a value; returns the tasklet to
 * resume, if any. A tasklet holds the value until its receive returns: a
 * kill() or throw() that overtakes it gives the value back (putBack()).
 */
export function completeReceiver(ch: Channel<any>, w: object, value: unknown, isException: boolean): Tasklet | null {
  if (w instanceof Tasklet) {
    const s = stateOf(w);
    s.resumeValue = value;
    s.resumeFailed = isException;
    hold(s, putBack, ch, value, isException);
    return w;
  }
  if (w instanceof PromiseWaiter) {
    if (isException) w.reject(value);
    else w.resolve(value);
    return null;
  }
  return (w as CaseWaiter).fire(value, isException, false);
}

/**
 * Gives a value back to `from` (a Channel) when the tasklet it was handed to
 * ended or was thrown into before taking it: the first waiting receiver gets
 * it (queued, never run from here), else it goes in front of what the
 * channel holds, as the oldest value. Also for sendException() values: the
 * next receiver's receive() throws it.
 */
export function putBack(from: object, value: unknown, isException: boolean): void {
  const ch = from as Channel<any>;
  const op = (from as ChannelBaseInstance)._putBack(value, isException, out);
  if (op !== OP_WAKE) return;
  const w = out[1] as object;
  out[1] = undefined;
  const t = completeReceiver(ch, w, value, isException);
  if (t !== null) wake(t);
}

/**
 * Resumes `t`, the sender whose value the current tasklet just took from
 * `ch`, by preference: should that switch get the taker killed or thrown
 * into before its receive returns, the value goes back to `ch`.
 */
export function resumeSender(ch: Channel<any>, t: Tasklet, now: boolean, value: unknown, isException: boolean): void {
  if (!now || !inTasklet()) {
    resume(t, now);
    return;
  }
  const s = stateOf(getCurrentTasklet());
  hold(s, putBack, ch, value, isException);
  try {
    resume(t, true);
  } finally {
    dropHeld(s); // taken (or already given back)
  }
}

/** Completes a waiting sender whose value was taken; returns the tasklet to resume, if any. */
export function completeSender(w: object): Tasklet | null {
  if (w instanceof Tasklet) {
    const s = stateOf(w);
    s.resumeValue = undefined;
    s.resumeFailed = false;
    return w;
  }
  if (w instanceof PromiseWaiter) {
    w.resolve(undefined);
    return null;
  }
  return (w as CaseWaiter).fire(undefined, false, false);
}

/**
 * A Stackless channel: send() blocks the sending tasklet until a receiver
 * takes the value (or it fits in the buffer); receive() blocks until a value
 * arrives. The very object sent is the one received.
 */
export class Channel<T = unknown> extends native.ChannelBase {
  #preference: Preference = -1;

  /** Creates a channel: a rendezvous by default, or buffered with `capacity`. */
  constructor(options?: ChannelOptions) {
    const capacity = checkOptions('options', options, ['capacity']).capacity ?? 0;
    checkNumber('options.capacity', capacity, 0, Infinity, true);
    super(capacity);
  }

  /** In a tasklet: sends `value`, blocking until a receiver takes it or it is buffered. */
  send(value: T): void {
    this.#send(value, false, 'send()');
  }

  /** In a tasklet: like send(), but the receiver's receive() throws `error`. */
  sendException(error: unknown): void {
    this.#send(error, true, 'sendException()');
  }

  #send(value: unknown, isException: boolean, what: string): void {
    if (!inTasklet()) throw blockingInMain(`Channel#${what}`, 'use sendAsync()');
    checkSuspendable();
    const me = getCurrentTasklet();
    const base = this as unknown as ChannelBaseInstance;
    const op = sendOp(this, base, value, isException, me);
    if (op === OP_DONE) return;
    if (op === OP_WAKE) {
      const w = out[1] as object;
      out[1] = undefined;
      const t = completeReceiver(this, w, value, isException);
      if (t !== null) resume(t, this.#preference < 0);
      return;
    }
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed(`Channel#${what}`));
    // OP_BLOCKED: queued natively with its value until a receiver comes.
    block(() => base._cancel(me));
  }

  /** In a tasklet: receives the next value, blocking until one arrives. */
  receive(): T {
    if (!inTasklet()) throw blockingInMain('Channel#receive()', 'use receiveAsync()');
    checkSuspendable();
    const me = getCurrentTasklet();
    const base = this as unknown as ChannelBaseInstance;
    const op = receiveOp(this, base, me);
    if (op === OP_BLOCKED) return block(() => base._cancel(me)) as T;
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed('Channel#receive()'));
    return this.#took(true) as T;
  }

  /** Handles a completed receive (value in `out`): wakes a sender by preference; returns or throws the value. */
  #took(mayYield: boolean): unknown {
    const value = out[0];
    const isException = out[2] as boolean;
    const w = out[1] as object | undefined;
    out[0] = out[1] = undefined;
    if (w !== undefined) {
      const t = completeSender(w);
      if (t !== null) resumeSender(this, t, mayYield && this.#preference > 0, value, isException);
    }
    if (isException) throw value;
    return value;
  }

  /** Anywhere: a Promise that resolves once the value is taken or buffered. Never blocks. */
  sendAsync(value: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const base = this as unknown as ChannelBaseInstance;
      const waiter = new PromiseWaiter(resolve as (v: unknown) => void, reject);
      const op = sendOp(this, base, value, false, waiter);
      if (op === OP_DONE) resolve();
      else if (op === OP_WAKE) {
        const w = out[1] as object;
        out[1] = undefined;
        const t = completeReceiver(this, w, value, false);
        if (t !== null) wake(t);
        resolve();
      } else if (op === OP_CLOSED) reject(new ChannelClosedError(messages.channelClosed('Channel#sendAsync()')));
    });
  }

  /** Anywhere: a Promise of the next value. Never blocks. */
  receiveAsync(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const base = this as unknown as ChannelBaseInstance;
      const waiter = new PromiseWaiter(resolve as (v: unknown) => void, reject);
      const op = receiveOp(this, base, waiter);
      if (op === OP_BLOCKED) return;
      if (op === OP_CLOSED) {
        reject(new ChannelClosedError(messages.channelClosed('Channel#receiveAsync()')));
        return;
      }
      try {
        resolve(this.#took(false) as T);
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * Anywhere: sends `value` only if a receiver waits (a select() case
   * counts) or the buffer has room, and says whether it did; never blocks.
   * A woken receiver runs by preference as after send() (in main, or where
   * the caller may not switch, it is queued). Throws ChannelClosedError on
   * a closing channel, as send() does.
   */
  trySend(value: T): boolean {
    const base = this as unknown as ChannelBaseInstance;
    const op = sendOp(this, base, value, false, undefined);
    if (op === OP_WOULD_BLOCK) return false;
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed('Channel#trySend()'));
    if (op === OP_WAKE) {
      const w = out[1] as object;
      out[1] = undefined;
      const t = completeReceiver(this, w, value, false);
      if (t !== null) resume(t, this.#preference < 0 && maySwitchNow());
    }
    return true;
  }

  /**
   * Anywhere: takes a value if one is buffered or a sender waits, `{ ok:
   * true, value }`, else `{ ok: false }`; never blocks. A woken sender runs
   * by preference as after receive(). Like receive(), throws a value sent
   * with sendException(), and ChannelClosedError once closed and drained.
   */
  tryReceive(): TryReceiveResult<T> {
    const base = this as unknown as ChannelBaseInstance;
    const op = receiveOp(this, base, undefined);
    if (op === OP_WOULD_BLOCK) return { ok: false };
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed('Channel#tryReceive()'));
    return { ok: true, value: this.#took(maySwitchNow()) as T };
  }

  /** Senders waiting (> 0) or receivers waiting (< 0). */
  get balance(): number {
    return (this as unknown as ChannelBaseInstance)._balance();
  }

  /** Who runs after a rendezvous: -1 the receiver (default), 1 the sender, 0 neither. */
  get preference(): Preference {
    return this.#preference;
  }
  set preference(value: Preference) {
    if (typeof value !== 'number') throw invalidArgType('preference', 'of type number', value);
    if (value !== -1 && value !== 0 && value !== 1) throw outOfRange('preference', '-1, 0 or 1', value);
    this.#preference = value;
  }

  /** How many values are buffered now. */
  get buffered(): number {
    return (this as unknown as ChannelBaseInstance)._state()[3];
  }

  /** Stops further sends; values already sent or waiting can still be received. Waiting receivers of an empty channel fail with ChannelClosedError. */
  close(): void {
    const receivers = (this as unknown as ChannelBaseInstance)._close();
    for (const w of receivers) {
      const err = new ChannelClosedError(messages.channelClosed('Channel#receive()'));
      if (w instanceof Tasklet) {
        const s = stateOf(w);
        s.resumeValue = err;
        s.resumeFailed = true;
        wake(w);
      } else if (w instanceof PromiseWaiter) {
        w.reject(err);
      } else {
        const t = (w as CaseWaiter).fire(undefined, false, true);
        if (t !== null) wake(t);
      }
    }
  }

  /** Reopens a closed channel. */
  open(): void {
    (this as unknown as ChannelBaseInstance)._open();
  }

  /** close() was called (and open() was not since). */
  get closing(): boolean {
    return (this as unknown as ChannelBaseInstance)._state()[1];
  }

  /** Closing and nothing left to receive: receive() throws ChannelClosedError. */
  get closed(): boolean {
    return (this as unknown as ChannelBaseInstance)._state()[2];
  }

  /** In a tasklet: iterates received values until the channel is closed and drained. */
  [Symbol.iterator](): Iterator<T> {
    return receiveUntilClosed(this);
  }

  /** Anywhere: iterates received values until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return receiveAsyncUntilClosed(this);
  }
}

/**
 * The native send. With a channel callback set: an operation that goes
 * ahead is reported (willBlock false); one that would wait is reported
 * (willBlock true) before the caller is queued, so that the callback may
 * use the channel, then queued (a try form, `waiter` undefined, is not
 * reported when it fails).
 */
function sendOp(ch: Channel<any>, base: ChannelBaseInstance, value: unknown, isException: boolean, waiter: object | undefined): number {
  if (trace.channelHook === null) return base._send(value, isException, waiter, out);
  const op = base._send(value, isException, undefined, out);
  if (op === OP_WOULD_BLOCK) {
    if (waiter === undefined) return op;
    trace.onChannel(ch, getCurrentTasklet(), true, true);
    return base._send(value, isException, waiter, out);
  }
  if (op !== OP_CLOSED) reportDone(ch, true);
  return op;
}

/** The native receive, reported to the channel callback as sendOp() does. */
function receiveOp(ch: Channel<any>, base: ChannelBaseInstance, waiter: object | undefined): number {
  if (trace.channelHook === null) return base._receive(waiter, out);
  const op = base._receive(undefined, out);
  if (op === OP_WOULD_BLOCK) {
    if (waiter === undefined) return op;
    trace.onChannel(ch, getCurrentTasklet(), false, true);
    return base._receive(waiter, out);
  }
  if (op !== OP_CLOSED) reportDone(ch, false);
  return op;
}

/** Reports a completed operation; `out` (which the callback may reuse) is kept. */
function reportDone(ch: Channel<any>, isSending: boolean): void {
  const [value, woken, isException] = out;
  trace.onChannel(ch, getCurrentTasklet(), isSending, false);
  out[0] = value;
  out[1] = woken;
  out[2] = isException;
}

/** What both channel kinds iterate over. */
export interface Receivable<T> {
  receive(): T;
  receiveAsync(): Promise<T>;
  readonly closed: boolean;
}

/** Sync iteration of a channel: receive() until closed and drained. */
export function* receiveUntilClosed<T>(ch: Receivable<T>): Generator<T, void, undefined> {
  for (;;) {
    let value: T;
    try {
      value = ch.receive();
    } catch (error) {
      if (error instanceof ChannelClosedError && ch.closed) return;
      throw error;
    }
    yield value;
  }
}

/** Async iteration of a channel: receiveAsync() until closed and drained. */
export async function* receiveAsyncUntilClosed<T>(ch: Receivable<T>): AsyncGenerator<T, void, undefined> {
  for (;;) {
    let value: T;
    try {
      value = await ch.receiveAsync();
    } catch (error) {
      if (error instanceof ChannelClosedError && ch.closed) return;
      throw error;
    }
    yield value;
  }
}
