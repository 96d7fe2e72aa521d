// ThreadChannel: the Channel API over a lock-protected native queue shared
// by threads. Values cross by structured clone (v8::ValueSerializer). A
// blocking call blocks only the calling tasklet, or the worker thread when
// made outside tasklets; the Async forms wake the caller's event loop
// through a native inbox (a uv_async_t), without polling.
import { isMainThread } from 'node:worker_threads';
import { native } from '../native';
import { ChannelClosedError, blockingInMain, checkNumber, checkOptions, invalidArgType, invalidArgValue, messages } from '../errors';
import { block, checkSuspendable, getCurrentTasklet, hold, inTasklet, stateOf, wake } from '../scheduler';
import type { Tasklet } from '../tasklet';
import { receiveUntilClosed, type TryReceiveResult } from '../channel';

interface SharedBase {
  _handle(): SharedArrayBuffer;
  _send(value: unknown, isException: boolean, mode: number, transfer?: readonly ArrayBuffer[]): number;
  _receive(mode: number, out: unknown[]): number;
  _cancel(id: number): boolean;
  _unget(value: unknown, isException: boolean): void;
  _close(): void;
  _open(): void;
  _state(): [number, boolean, boolean, number];
}
type SharedBaseConstructor = new (capacityOrHandle: number | SharedArrayBuffer) => SharedBase;
const bindings = native as unknown as {
  SharedChannelBase: SharedBaseConstructor;
  setSharedHandler(
    handler: (ids: number[], kinds: number[], payloads: unknown[], exceptions: boolean[]) => void,
    noop: () => void,
  ): void;
};

const OP_DONE = 0;
const OP_WOULD_BLOCK = 3;
const OP_CLOSED = 4;
const OP_TERMINATED = 5;
const MODE_NOWAIT = 0;
const MODE_INBOX = 1;
const MODE_BLOCK_THREAD = 2;
const RECEIVED = 0;
const CLOSED = 2;

/** Marks the structured-clone form of a ThreadChannel (its handle). */
export const HANDLE_KEY = '__threadChannel';

interface PendingOp {
  channel: SharedBase;
  tasklet: Tasklet | undefined;
  resolve: ((v: unknown) => void) | undefined;
  reject: ((e: unknown) => void) | undefined;
  cancelled: boolean;
  what: string;
}
const pending = new Map<number, PendingOp>();

bindings.setSharedHandler(
  (ids, kinds, payloads, exceptions) => {
    for (let i = 0; i < ids.length; i++) {
      const p = pending.get(ids[i]);
      if (p === undefined) continue;
      pending.delete(ids[i]);
      if (p.cancelled) {
        // Its tasklet was killed while the value was on its way: put it back.
        if (kinds[i] === RECEIVED) p.channel._unget(payloads[i], exceptions[i]);
        continue;
      }
      let failed = false;
      let value: unknown;
      if (kinds[i] === CLOSED) {
        failed = true;
        value = new ChannelClosedError(messages.channelClosed(p.what));
      } else if (kinds[i] === RECEIVED) {
        value = payloads[i];
        failed = exceptions[i];
      }
      if (p.tasklet !== undefined) {
        const s = stateOf(p.tasklet);
        s.resumeValue = value;
        s.resumeFailed = failed;
        // Killed or thrown into before its receive returns: the value goes back.
        if (kinds[i] === RECEIVED) hold(s, unget, p.channel, value, failed);
        wake(p.tasklet);
      } else if (failed) p.reject!(value);
      else p.resolve!(value);
    }
  },
  () => {},
);

const out: unknown[] = [undefined, undefined, false];

/** Puts a value back at the front of a ThreadChannel (its receiver ended before taking it). */
function unget(from: object, value: unknown, isException: boolean): void {
  (from as SharedBase)._unget(value, isException);
}

/** A transfer list must be distinct ArrayBuffers (native re-checks, and refuses ones that cannot be detached). */
function checkTransfer(transfer: readonly ArrayBuffer[] | undefined): void {
  if (transfer === undefined) return;
  if (!Array.isArray(transfer)) throw invalidArgType('transfer', 'an instance of Array', transfer);
  for (let i = 0; i < transfer.length; i++) {
    const b: unknown = transfer[i];
    if (!(b instanceof ArrayBuffer)) throw invalidArgType(`transfer[${i}]`, 'an instance of ArrayBuffer', b);
    if (transfer.indexOf(b) !== i) throw invalidArgValue(`transfer[${i}]`, b, 'is listed twice');
  }
}

/** Options for {@link ThreadChannel}. */
export interface ThreadChannelOptions {
  /** Values held without a receiver: 0 (default) is a rendezvous; Infinity is unbounded. */
  capacity?: number;
}

/**
 * A channel shared by threads: pass it to deferToThread()/pool.run() (it is
 * revived in the worker) or through postMessage/workerData and revive it
 * there with ThreadChannel.from(). Values are copied by structured clone.
 */
export class ThreadChannel<T = unknown> extends bindings.SharedChannelBase {
  /** Its structured-clone form: what crosses threads. */
  readonly [HANDLE_KEY]: SharedArrayBuffer;

  constructor(options?: ThreadChannelOptions) {
    const arg = (options as { [HANDLE_KEY]?: unknown } | undefined)?.[HANDLE_KEY];
    if (arg instanceof SharedArrayBuffer) {
      super(arg); // revived by from()
    } else {
      const { capacity = 0 } = checkOptions('options', options, ['capacity']);
      checkNumber('options.capacity', capacity, 0, Infinity, true); // Infinity: unbounded
      super(capacity);
    }
    this[HANDLE_KEY] = (this as unknown as SharedBase)._handle();
  }

  /** The form that crosses threads (postMessage, workerData): revive it with ThreadChannel.from(). */
  share(): { [HANDLE_KEY]: SharedArrayBuffer } {
    return { [HANDLE_KEY]: this[HANDLE_KEY] };
  }

  /** Revives a ThreadChannel from its shared form (or returns it as is). */
  static from<T = unknown>(value: ThreadChannel<T> | { [HANDLE_KEY]: SharedArrayBuffer }): ThreadChannel<T> {
    if (value instanceof ThreadChannel) return value;
    if (value === null || typeof value !== 'object') {
      throw invalidArgType('value', 'a ThreadChannel or its share() form', value);
    }
    if (!(value[HANDLE_KEY] instanceof SharedArrayBuffer)) {
      throw invalidArgValue('value', value, 'must be a ThreadChannel or its share() form');
    }
    return new ThreadChannel<T>(value as ThreadChannelOptions);
  }

  /**
   * Blocks the calling tasklet (or worker thread) until the value is taken
   * or buffered. ArrayBuffers listed in `transfer` are moved, not copied:
   * they are detached here, as with postMessage().
   */
  send(value: T, transfer?: readonly ArrayBuffer[]): void {
    this.#send(value, false, 'ThreadChannel#send()', transfer);
  }

  /** Like send(); the receiver's receive() throws `error`. */
  sendException(error: unknown): void {
    this.#send(error, true, 'ThreadChannel#sendException()');
  }

  #send(value: unknown, isException: boolean, what: string, transfer?: readonly ArrayBuffer[]): void {
    const base = this as unknown as SharedBase;
    checkTransfer(transfer);
    if (inTasklet()) {
      checkSuspendable();
      const op = base._send(value, isException, MODE_INBOX, transfer);
      if (op === OP_DONE) return;
      if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed(what));
      this.#wait(-op, what);
      return;
    }
    if (isMainThread) throw blockingInMain(what, 'use sendAsync()');
    const op = base._send(value, isException, MODE_BLOCK_THREAD, transfer);
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed(what));
    if (op === OP_TERMINATED) for (;;); // worker.terminate(): unwind now
  }

  /** Blocks the calling tasklet (or worker thread) until a value arrives. */
  receive(): T {
    const base = this as unknown as SharedBase;
    const what = 'ThreadChannel#receive()';
    if (inTasklet()) {
      checkSuspendable();
      const op = base._receive(MODE_INBOX, out);
      if (op < 0) return this.#wait(-op, what) as T;
      return this.#took(op, what) as T;
    }
    if (isMainThread) throw blockingInMain(what, 'use receiveAsync()');
    const op = base._receive(MODE_BLOCK_THREAD, out);
    if (op === OP_TERMINATED) for (;;);
    return this.#took(op, what) as T;
  }

  #took(op: number, what: string): unknown {
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed(what));
    const value = out[0];
    const isException = out[2] as boolean;
    out[0] = undefined;
    if (isException) throw value;
    return value;
  }

  #wait(id: number, what: string): unknown {
    const base = this as unknown as SharedBase;
    const p: PendingOp = { channel: base, tasklet: getCurrentTasklet(), resolve: undefined, reject: undefined, cancelled: false, what };
    pending.set(id, p);
    return block((soft) => {
      if (base._cancel(id)) pending.delete(id);
      else if (soft) return false; // a timeout: the value is on its way, let it arrive
      else p.cancelled = true;
      return true;
    });
  }

  /** Anywhere: resolves once the value is taken or buffered. `transfer` as for send(). */
  sendAsync(value: T, transfer?: readonly ArrayBuffer[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const base = this as unknown as SharedBase;
      checkTransfer(transfer);
      const op = base._send(value, false, MODE_INBOX, transfer);
      if (op === OP_DONE) resolve();
      else if (op === OP_CLOSED) reject(new ChannelClosedError(messages.channelClosed('ThreadChannel#sendAsync()')));
      else pending.set(-op, { channel: base, tasklet: undefined, resolve: resolve as (v: unknown) => void, reject, cancelled: false, what: 'ThreadChannel#sendAsync()' });
    });
  }

  /** Anywhere: a Promise of the next value. */
  receiveAsync(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const base = this as unknown as SharedBase;
      const what = 'ThreadChannel#receiveAsync()';
      const op = base._receive(MODE_INBOX, out);
      if (op < 0) {
        pending.set(-op, { channel: base, tasklet: undefined, resolve: resolve as (v: unknown) => void, reject, cancelled: false, what });
        return;
      }
      try {
        resolve(this.#took(op, what) as T);
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * Anywhere: sends without waiting if there is a receiver or room; false
   * otherwise (nothing is sent, and nothing in `transfer` is detached).
   */
  trySend(value: T, transfer?: readonly ArrayBuffer[]): boolean {
    checkTransfer(transfer);
    const op = (this as unknown as SharedBase)._send(value, false, MODE_NOWAIT, transfer);
    if (op === OP_CLOSED) throw new ChannelClosedError(messages.channelClosed('ThreadChannel#trySend()'));
    return op === OP_DONE;
  }

  /**
   * Anywhere: takes a value if one is buffered or a sender waits, `{ ok:
   * true, value }`, else `{ ok: false }`; never waits. Like receive(),
   * throws a value sent with sendException(), and ChannelClosedError once
   * closed and drained.
   */
  tryReceive(): TryReceiveResult<T> {
    const op = (this as unknown as SharedBase)._receive(MODE_NOWAIT, out);
    if (op === OP_WOULD_BLOCK) return { ok: false };
    return { ok: true, value: this.#took(op, 'ThreadChannel#tryReceive()') as T };
  }

  get balance(): number {
    return (this as unknown as SharedBase)._state()[0];
  }
  get closing(): boolean {
    return (this as unknown as SharedBase)._state()[1];
  }
  get closed(): boolean {
    return (this as unknown as SharedBase)._state()[2];
  }
  get buffered(): number {
    return (this as unknown as SharedBase)._state()[3];
  }
  close(): void {
    (this as unknown as SharedBase)._close();
  }
  open(): void {
    (this as unknown as SharedBase)._open();
  }

  /** In a tasklet or a worker thread: iterates received values until closed and drained. */
  [Symbol.iterator](): Iterator<T> {
    return receiveUntilClosed(this);
  }

  /** Anywhere: iterates received values until closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    // Not an async generator: a value already waiting costs one native call
    // and one settled Promise, nothing is read ahead (other receivers of the
    // channel see every value not yet returned), and a wait falls back to
    // receiveAsync().
    const base = this as unknown as SharedBase;
    const what = 'ThreadChannel async iteration';
    let finished = false;
    const end = (): IteratorResult<T> => {
      finished = true;
      return { value: undefined, done: true };
    };
    const onError = (error: unknown): IteratorResult<T> => {
      if (error instanceof ChannelClosedError && this.closed) return end();
      finished = true;
      throw error;
    };
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (finished) return Promise.resolve({ value: undefined, done: true });
        const op = base._receive(MODE_NOWAIT, out);
        if (op === OP_WOULD_BLOCK) {
          return this.receiveAsync().then((value) => ({ value, done: false }), onError);
        }
        try {
          return Promise.resolve({ value: this.#took(op, what) as T, done: false });
        } catch (error) {
          try {
            return Promise.resolve(onError(error));
          } catch (failure) {
            return Promise.reject(failure);
          }
        }
      },
      return: (): Promise<IteratorResult<T>> => Promise.resolve(end()),
    };
  }
}

/** Pool plumbing: ThreadChannel arguments travel as their shared form. */
export function toWire(arg: unknown): unknown {
  return arg instanceof ThreadChannel ? arg.share() : arg;
}

/** Pool plumbing: revives ThreadChannel arguments in the worker. */
export function fromWire(arg: unknown): unknown {
  if (arg !== null && typeof arg === 'object' && (arg as Record<string, unknown>)[HANDLE_KEY] instanceof SharedArrayBuffer) {
    const keys = Object.keys(arg);
    if (keys.length === 1) return ThreadChannel.from(arg as { [HANDLE_KEY]: SharedArrayBuffer });
  }
  return arg;
}
