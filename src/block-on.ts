// The event loop as the reactor: blockOn(promise) suspends the calling
// tasklet until the promise settles; sleep; deferredTasklet and
// blockingTasklet, the seeds' decorators.
import { native } from './native';
import { blockingInMain, checkFunction, checkNumber } from './errors';
import { block, checkSuspendable, getCurrentTasklet, inTasklet, stateOf, wake } from './scheduler';
import { Tasklet, spawn } from './tasklet';

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

  const me = getCurrentTasklet();
  const s = stateOf(me);
  let waiting = true;
  const onFulfilled = (v: unknown): void => {
    if (!waiting) return;
    waiting = false;
    s.resumeFailed = false;
    s.resumeValue = v;
    wake(me);
  };
  const onRejected = (e: unknown): void => {
    if (!waiting) return;
    waiting = false;
    s.resumeFailed = true;
    s.resumeValue = e;
    wake(me);
  };
  if (value instanceof Promise) value.then(onFulfilled, onRejected);
  else Promise.resolve(value as PromiseLike<T>).then(onFulfilled, onRejected);
  return block(() => {
    waiting = false;
  }) as T;
}

/** Suspends the calling tasklet for `ms` milliseconds (timers keep running meanwhile). */
export function sleep(ms: number): void {
  checkNumber('ms', ms, 0);
  if (!inTasklet()) throw blockingInMain('sleep()', "use await setTimeout() from 'node:timers/promises'");
  blockOn(new Promise<void>((resolve) => setTimeout(resolve, ms)));
}

/** Wraps `fn` so that each call runs it in a new tasklet and returns a Promise of its result (TaskletExit gives undefined). */
export function deferredTasklet<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<Awaited<R>> {
  checkFunction('fn', fn);
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
  checkFunction('fn', fn);
  return (...args: A) => {
    if (!inTasklet()) throw blockingInMain('blockingTasklet()', 'use deferredTasklet() and await its Promise');
    const t: Tasklet<R> = spawn(fn, ...args);
    return blockOn(t.result);
  };
}
