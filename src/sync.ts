// Synchronisation between tasklets (gevent's Event, Semaphore,
// BoundedSemaphore and Lock); waiters are served in arrival order.
import { TaskletError, blockingInMain, checkNumber, checkTaskletFunction, messages } from './errors';
import { checkSuspendable, getCurrentTasklet, inTasklet, stateOf, wake } from './scheduler';
import { blockWithin, checkMs, promiseWithin } from './timeout';

type Waiter = () => void;

function remove(list: Waiter[], w: Waiter): void {
  const i = list.indexOf(w);
  if (i >= 0) list.splice(i, 1);
}

/** A waiter that resumes the calling tasklet with `true`. */
function wakerOf(onWake?: () => void): Waiter {
  const me = getCurrentTasklet();
  return () => {
    onWake?.();
    const s = stateOf(me);
    s.resumeValue = true;
    s.resumeFailed = false;
    wake(me);
  };
}

/**
 * A flag tasklets can wait for (gevent's Event): set() wakes every waiter;
 * wait() returns at once while it is set.
 */
export class Event {
  #set = false;
  #waiters: Waiter[] = [];

  /** Whether set() was called (and clear() was not since). */
  get isSet(): boolean {
    return this.#set;
  }

  /** Sets the flag and wakes every waiter (tasklets and Promises). */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  /** Clears the flag: wait() blocks again. Waiters already woken stay woken. */
  clear(): void {
    this.#set = false;
  }

  /**
   * Blocks the calling tasklet until the flag is set (true) or `ms` passes
   * (false; default: no limit). In main: ERR_BLOCKING_IN_MAIN, use waitAsync().
   */
  wait(ms?: number): boolean {
    checkMs(ms);
    if (!inTasklet()) throw blockingInMain('Event#wait()', 'use waitAsync()');
    if (this.#set) return true;
    if (ms === 0) return false;
    checkSuspendable();
    const w = wakerOf();
    this.#waiters.push(w);
    return blockWithin(ms, () => remove(this.#waiters, w), false) as boolean;
  }

  /** Anywhere: a Promise of true once the flag is set, false when `ms` passes first. */
  waitAsync(ms?: number): Promise<boolean> {
    try {
      checkMs(ms);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#set) return Promise.resolve(true);
    if (ms === 0) return Promise.resolve(false);
    return promiseWithin(
      ms,
      (done) => this.#waiters.push(done),
      (done) => remove(this.#waiters, done),
    );
  }
}

/**
 * A counting semaphore (gevent's Semaphore): acquire() takes a permit,
 * blocking while none is free; release() gives one back. Waiters get
 * permits in arrival order: a permit released while tasklets wait goes
 * straight to the first of them, never to a later arrival.
 */
export class Semaphore {
  #value: number;
  readonly #initial: number;
  #waiters: Waiter[] = [];

  /** A semaphore with `n` permits (an integer >= 0; default 1). */
  constructor(n = 1) {
    checkNumber('n', n, 0, Infinity, true);
    this.#value = n;
    this.#initial = n;
  }

  /** Permits free now. */
  get value(): number {
    return this.#value;
  }

  /** True when no permit is free (acquire() would wait). */
  get locked(): boolean {
    return this.#value === 0;
  }

  /** Takes a permit if one is free and nobody waits for one; never blocks. Anywhere. */
  tryAcquire(): boolean {
    if (this.#value === 0 || this.#waiters.length > 0) return false;
    this.#value--;
    return true;
  }

  /**
   * Blocks the calling tasklet until it holds a permit (true) or `ms`
   * passes (false; default: no limit). A waiter that is killed or times out
   * never consumes a permit. In main: ERR_BLOCKING_IN_MAIN.
   */
  acquire(ms?: number): boolean {
    checkMs(ms);
    if (!inTasklet()) throw blockingInMain(`${this.constructor.name}#acquire()`, 'use acquireAsync() or tryAcquire()');
    if (this.tryAcquire()) return true;
    if (ms === 0) return false;
    checkSuspendable();
    let granted = false;
    const w = wakerOf(() => {
      granted = true;
    });
    this.#waiters.push(w);
    try {
      return blockWithin(ms, () => remove(this.#waiters, w), false) as boolean;
    } catch (error) {
      // Handed a permit, then killed before it ran: pass the permit on.
      if (granted) this.release();
      throw error;
    }
  }

  /** Anywhere: a Promise of true once a permit is held, false when `ms` passes first. */
  acquireAsync(ms?: number): Promise<boolean> {
    try {
      checkMs(ms);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.tryAcquire()) return Promise.resolve(true);
    if (ms === 0) return Promise.resolve(false);
    return promiseWithin(
      ms,
      (done) => this.#waiters.push(done),
      (done) => remove(this.#waiters, done),
    );
  }

  /** Gives a permit back: to the first waiter, if any. Anywhere. */
  release(): void {
    const w = this.#waiters.shift();
    if (w !== undefined) return w();
    if (this instanceof BoundedSemaphore && this.#value >= this.#initial) {
      throw new TaskletError('ERR_SEMAPHORE_RELEASED', messages.releasedTooOften(`${this.constructor.name}#release()`, this.#initial));
    }
    this.#value++;
  }

  /** In a tasklet: acquire(), run fn(), release() (even when fn throws); returns fn's value. */
  use<R>(fn: () => R): R {
    checkTaskletFunction('fn', fn);
    this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }
}

/** A Semaphore that refuses to be released above its initial value (ERR_SEMAPHORE_RELEASED). */
export class BoundedSemaphore extends Semaphore {}

/** A lock: a BoundedSemaphore of 1. Any tasklet may release it (it has no owner). */
export class Lock extends BoundedSemaphore {
  /** A free lock. */
  constructor() {
    super(1);
  }
}
