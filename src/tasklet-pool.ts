// Pool: at most `size` tasklets at once (gevent's Pool); spawn() never
// blocks, the tasklets beyond `size` start in order as slots free.
import { blockingInMain, checkNumber, checkTaskletFunction, invalidArgType } from './errors';
import { Phase, type Watcher, block, checkSuspendable, getCurrentTasklet, inTasklet, stateOf, wake, watch } from './scheduler';
import { Tasklet, spawn as spawnTasklet } from './tasklet';
import { Event } from './sync';
import { checkMs } from './timeout';

const noop = (): void => {};

/** A tasklet of the pool: told when it ends (watcher), with the arguments it starts with. */
class Entry implements Watcher {
  constructor(
    readonly tasklet: Tasklet,
    readonly args: unknown[],
    readonly onEnd: (e: Entry) => void,
  ) {}
  ended(): void {
    this.onEnd(this);
  }
}

/**
 * A group of tasklets of which at most `size` run at once (gevent's Pool).
 * spawn() never blocks: a tasklet spawned while all slots are taken waits,
 * not yet started (`alive` false), and starts when a slot frees, in spawn
 * order. Killing a waiting tasklet removes it from the wait (its `result`
 * resolves to undefined).
 */
export class Pool {
  /** How many tasklets run at once at most. */
  readonly size: number;
  #running = new Set<Tasklet>();
  #waiting: Entry[] = [];
  #idle = new Event();
  readonly #onEnd = (e: Entry): void => this.#ended(e);

  /** A pool of `size` slots (an integer >= 1; Infinity: no limit). */
  constructor(size: number) {
    checkNumber('size', size, 1, Infinity, true);
    this.size = size;
    this.#idle.set();
  }

  /** Tasklets of the pool started and not yet ended. */
  get running(): number {
    return this.#running.size;
  }

  /** Tasklets spawned and waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Creates a tasklet running fn(...args) in the pool; it starts now if a slot is free, else when one frees. Never blocks. */
  spawn<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Tasklet<R, A> {
    checkTaskletFunction('fn', fn);
    const t = new Tasklet<R, A>(fn);
    const e = new Entry(t, args, this.#onEnd);
    watch(t, e);
    this.#idle.clear();
    if (this.#running.size < this.size && this.#waiting.length === 0) this.#start(e);
    else this.#waiting.push(e);
    return t;
  }

  #start(e: Entry): void {
    this.#running.add(e.tasklet);
    // Set up by its user meanwhile: it runs already, in this slot.
    if (stateOf(e.tasklet).phase === Phase.New) e.tasklet.setup(...e.args);
  }

  #ended(e: Entry): void {
    if (this.#running.delete(e.tasklet)) {
      while (this.#running.size < this.size && this.#waiting.length > 0) this.#start(this.#waiting.shift()!);
    } else {
      const i = this.#waiting.indexOf(e);
      if (i >= 0) this.#waiting.splice(i, 1);
    }
    if (this.#running.size === 0 && this.#waiting.length === 0) this.#idle.set();
  }

  /**
   * In a tasklet: runs fn(item) for each item in the pool (at most `size`
   * at once, sharing the slots with spawn()) and returns the results in
   * input order. The first error (in time) kills the others and is thrown;
   * so does anything that interrupts the wait (a kill, a TimeoutError).
   */
  map<T, R>(fn: (item: T) => R, iterable: Iterable<T>): R[] {
    checkTaskletFunction('fn', fn);
    const items = toArray(iterable);
    if (!inTasklet()) throw blockingInMain('Pool#map()', 'use mapAsync()');
    checkSuspendable();
    const results: unknown[] = new Array(items.length);
    let left = items.length;
    let failed = false;
    let error: unknown;
    let waiter: Tasklet | null = null;
    const tasklets = items.map((item, i) => {
      const t = this.spawn(fn, item);
      t.result.catch(noop); // map reports the error; not an unhandled rejection
      watch(t, {
        ended(f: boolean, v: unknown): void {
          left--;
          if (f && !failed) [failed, error] = [true, v];
          else if (!f) results[i] = v;
          if ((left === 0 || failed) && waiter !== null) {
            const s = stateOf(waiter);
            s.resumeValue = undefined;
            s.resumeFailed = false;
            wake(waiter);
            waiter = null;
          }
        },
      });
      return t;
    });
    let done = false;
    try {
      if (left > 0 && !failed) {
        waiter = getCurrentTasklet();
        block(() => {
          waiter = null;
        });
      }
      done = true;
    } finally {
      // Latest first: those still waiting for a slot end without starting.
      if (!done || failed) for (let i = tasklets.length - 1; i >= 0; i--) tasklets[i].kill();
    }
    if (failed) throw error;
    return results as R[];
  }

  /** Anywhere: map() in a new tasklet; a Promise of its results. */
  mapAsync<T, R>(fn: (item: T) => R, iterable: Iterable<T>): Promise<R[]> {
    try {
      checkTaskletFunction('fn', fn);
      const items = toArray(iterable);
      return spawnTasklet(() => this.map(fn, items)).result as Promise<R[]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Blocks the calling tasklet until no tasklet of the pool runs or waits
   * (true) or `ms` passes (false). In main: ERR_BLOCKING_IN_MAIN, use joinAsync().
   */
  join(ms?: number): boolean {
    checkMs(ms);
    if (!inTasklet()) throw blockingInMain('Pool#join()', 'use joinAsync()');
    return this.#idle.wait(ms);
  }

  /** Anywhere: a Promise of true once the pool is empty, false when `ms` passes first. */
  joinAsync(ms?: number): Promise<boolean> {
    return this.#idle.waitAsync(ms);
  }

  /**
   * Kills every tasklet of the pool: those waiting for a slot end without
   * starting, running ones get TaskletExit now. Does not wait for finally
   * blocks that block (join() does). Anywhere.
   */
  kill(): void {
    for (const e of [...this.#waiting].reverse()) e.tasklet.kill();
    for (const t of [...this.#running]) t.kill();
  }
}

function toArray<T>(iterable: Iterable<T>): T[] {
  if (iterable === null || typeof iterable !== 'object' || !(Symbol.iterator in iterable)) {
    if (typeof iterable !== 'string') throw invalidArgType('iterable', 'an iterable', iterable);
  }
  return Array.from(iterable);
}
