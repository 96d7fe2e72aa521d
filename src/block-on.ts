// The event loop as the reactor: blockOn(promise) suspends the calling
// tasklet until the promise settles; sleep; deferredTasklet and
// blockingTasklet, the seeds' decorators.
import { native } from './native';
import { blockingInMain, checkNumber, checkTaskletFunction } from './errors';
import { block, checkSuspendable, getCurrentTasklet, inTasklet, stateOf, wake } from './scheduler';
import { type Tasklet, spawn } from './tasklet';
import { armTimer } from './timeout';

const PENDING = Symbol('pending');
const noop = (): void => {};

/**
 * Suspends the calling tasklet until `value` settles and returns its value,
 * or throws its rejection reason (the very same object). An already-settled
 * native promise returns at once, without a switch; a non-thenable value is
 * returned as is.
 */
export function blockOn<T>(value: T | PromiseLike<T>): T {
  if (!inTasklet()) throw blockingInMain('blockOn()', 'use await');
  const settled = native.settle(value, PENDING, noop);
  if (settled !== PENDING) return settled as T;
  let then: unknown;
  if (!(value instanceof Promise)) {
    then = (value as { then?: unknown }).then;
    if (typeof then !== 'function') return value as T;
  }
  checkSuspendable();

  // The callbacks reach the tasklet only through `waiter`: a tasklet that
  // stops waiting (killed, thrown into) is let go by the promise at once.
  let waiter: Tasklet | null = getCurrentTasklet();
  const settle = (failed: boolean, v: unknown): void => {
    const t = waiter;
    if (t === null) return;
    waiter = null;
    const s = stateOf(t);
    s.resumeFailed = failed;
    s.resumeValue = v;
    wake(t);
  };
  const onFulfilled = (v: unknown): void => settle(false, v);
  const onRejected = (e: unknown): void => settle(true, e);
  if (value instanceof Promise) value.then(onFulfilled, onRejected);
  else Promise.resolve(value as PromiseLike<T>).then(onFulfilled, onRejected);
  return block(() => {
    waiter = null;
  }) as T;
}

/**
 * Suspends the calling tasklet for `ms` milliseconds (timers keep running
 * meanwhile). Any `ms >= 0` is honoured (longer than setTimeout's limit:
 * chained timers); `Infinity` sleeps until the tasklet is killed. A tasklet
 * killed or thrown into while it sleeps leaves no timer behind.
 */
export function sleep(ms: number): void {
  checkNumber('ms', ms, 0);
  if (!inTasklet()) throw blockingInMain('sleep()', "use await setTimeout() from 'node:timers/promises'");
  checkSuspendable();
  const me = getCurrentTasklet();
  // Infinity: no timer at all; like any wait, it holds no handle open.
  const stop =
    ms === Infinity
      ? noop
      : armTimer(ms, () => {
          const s = stateOf(me);
          s.resumeFailed = false;
          s.resumeValue = undefined;
          wake(me);
        });
  block(stop);
}

/** Wraps `fn` so that each call runs it in a new tasklet and returns a Promise of its result (TaskletExit gives undefined). */
export function deferredTasklet<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<Awaited<R>> {
  checkTaskletFunction('fn', fn);
  return (...args: A) => {
    try {
      return spawn(fn, ...args).result;
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** Wraps `fn` so that each call, made in a tasklet, runs it in a new tasklet and blocks until it ends. */
export function blockingTasklet<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Awaited<R> {
  checkTaskletFunction('fn', fn);
  return (...args: A) => {
    if (!inTasklet()) throw blockingInMain('blockingTasklet()', 'use deferredTasklet() and await its Promise');
    const t = spawn(fn, ...args);
    return blockOn(t.result);
  };
}
