// fibers/future on tasklets: a Future is a value that arrives later, which a
// fiber (or any tasklet) waits for without blocking the event loop.
import { blockOn } from '../block-on';
import { messages } from '../errors';
import { inTasklet } from '../scheduler';
import { Fiber, FiberImpl } from './fiber';

/** A node-style callback: `(err, value)`. */
export type NodeCallback<T = any> = (err: any, value?: T) => void;

type Listener = [NodeCallback | Future, ((value: any) => void) | undefined];

/** A callback that threw: an uncaught exception, after the other callbacks ran. */
function rethrowLater(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

/**
 * A value or an error that arrives later (`fibers/future`). A fiber or
 * tasklet calls wait() to suspend until it is resolved; resolve() and
 * promise() let code outside fibers use it.
 */
export class Future<T = any> {
  #resolved = false;
  #value: T | undefined = undefined;
  #error: unknown = undefined;
  #listeners: Listener[] | undefined = undefined;
  /** What the function wrapped by Future.wrap() returned synchronously. */
  _?: unknown;

  /** Resolves the future with `value`; waiting fibers resume (each resolve callback runs now). */
  return(value?: T): void {
    if (this.#resolved) throw new Error(messages.futureTwice());
    this.#value = value;
    this.#settle();
  }

  /** Resolves the future with `error`, which get() and wait() then throw. */
  throw(error: unknown): void {
    if (this.#resolved) throw new Error(messages.futureTwice());
    if (!error) throw new Error(messages.futureEmptyError());
    this.#error = error;
    this.#settle();
  }

  #settle(): void {
    this.#resolved = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        this.#notify(listener);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  #notify([first, onValue]: Listener): void {
    if (onValue === undefined) (first as NodeCallback)(this.#error, this.#value);
    else if (this.#error) (first as Future).throw(this.#error);
    else onValue(this.#value);
  }

  /** The value; throws the error; throws if the future is not resolved yet. */
  get(): T {
    if (!this.#resolved) throw new Error(messages.futureNotReady());
    if (this.#error) throw this.#error;
    return this.#value as T;
  }

  /** Whether return() or throw() was called. */
  isResolved(): boolean {
    return this.#resolved;
  }

  /**
   * Calls `callback(err, value)` once resolved (now if it is). With two
   * arguments: `onValue(value)` on success, and errors go to `future.throw()`.
   */
  resolve(callback: NodeCallback<T>): this;
  resolve(errorsTo: Future, onValue: (value: T) => void): this;
  resolve(first: NodeCallback<T> | Future, onValue?: (value: T) => void): this {
    const listener: Listener = [first as NodeCallback | Future, onValue];
    if (this.#resolved) this.#notify(listener);
    else (this.#listeners ??= []).push(listener);
    return this;
  }

  /** Calls `callback(value)` once resolved successfully; errors are ignored. */
  resolveSuccess(callback: (value: T) => void): this {
    return this.resolve((err, value) => {
      if (!err) callback(value as T);
    });
  }

  /** A node-style callback `(err, value)` that resolves this future. */
  resolver(): NodeCallback<T> {
    return (err, value) => {
      if (err) this.throw(err);
      else this.return(value);
    };
  }

  /** Nobody will wait for this future: its error, if any, becomes an uncaught exception. */
  detach(): void {
    this.resolve((err) => {
      if (err) throw err;
    });
  }

  /** Resolves `future` the same way once this one resolves. */
  proxy(future: Future<T>): void {
    this.resolve((err, value) => {
      if (err) future.throw(err);
      else future.return(value);
    });
  }

  /** Throws this future's error, if it ends with one, into `futures` too. */
  proxyErrors(futures: Future | Future[]): this {
    return this.resolve((err) => {
      if (!err) return;
      for (const f of Array.isArray(futures) ? futures : [futures]) f.throw(err);
    });
  }

  /** A Promise of the value. */
  promise(): Promise<T> {
    return new Promise((resolve, reject) => {
      this.resolve((err, value) => (err ? reject(err) : resolve(value as T)));
    });
  }

  /** Suspends the current fiber or tasklet until resolved; returns the value or throws the error. */
  wait(): T {
    if (!this.#resolved) Future.wait(this);
    return this.get();
  }

  /** A future resolved by `promise`. */
  static fromPromise<T>(promise: PromiseLike<T>): Future<T> {
    const future = new Future<T>();
    promise.then(
      (value) => future.return(value),
      (error) => future.throw(error),
    );
    return future;
  }

  /**
   * Suspends the current fiber (or tasklet) until every future given
   * (as arguments or arrays) is resolved. Errors are not thrown: get() them.
   */
  static wait(...args: Array<Future | Future[]>): void {
    const pending: Future[] = [];
    let inline: TaskFuture | undefined;
    for (const arg of args) {
      for (const f of Array.isArray(arg) ? arg : [arg]) {
        if (!(f instanceof Future)) throw new Error(messages.futureNotAFuture(String(f)));
        if (f.isResolved()) continue;
        // As fibers/future did: the first fn.future()() not started yet runs
        // here, in the waiting fiber, instead of in a fiber of its own.
        if (inline === undefined && f instanceof TaskFuture && !f.started) inline = f;
        else pending.push(f);
      }
    }
    const fiber = FiberImpl.current();
    if (fiber === undefined && !inTasklet()) throw new Error(messages.futureNoFiber());
    // The inline one counts until it returns, so that no callback resumes
    // the fiber while it runs (it may wait itself).
    let left = pending.length + (inline === undefined ? 0 : 1);
    if (fiber !== undefined) {
      // The last callback runs the fiber, synchronously.
      const done = (): void => {
        if (--left === 0) fiber.run();
      };
      for (const f of pending) f.resolve(done);
      if (inline !== undefined) {
        inline.runHere();
        left--;
      }
      if (left > 0) Fiber.yield();
      return;
    }
    let wake: () => void = () => {};
    const all = new Promise<void>((resolve) => (wake = resolve));
    const done = (): void => {
      if (--left === 0) wake();
    };
    for (const f of pending) f.resolve(done);
    if (inline !== undefined) {
      inline.runHere();
      done();
    }
    if (left > 0) blockOn(all);
  }

  /** Runs each function in a new fiber; a future of its value (of all values, in order, for several). */
  static task<T>(fn: () => T, ...more: Array<() => unknown>): Future<any> {
    if (more.length === 0) return runInFiber(fn, undefined, [], false);
    const all = [fn, ...more];
    const future = new Future<unknown[]>();
    const values: unknown[] = new Array(all.length);
    let left = all.length;
    let failure: unknown;
    all.forEach((f, i) => {
      runInFiber(f, undefined, [], false).resolve((err, value) => {
        if (err) failure = err;
        values[i] = value;
        if (--left > 0) return;
        if (failure) future.throw(failure);
        else future.return(values);
      });
    });
    return future;
  }

  /**
   * Turns a node-style function (callback last) into one that returns a
   * Future; an object into one whose functions have Future-returning twins
   * named `name + suffix` (`readFileFuture`). With `multi`, the future's
   * value is the array of every value the callback got.
   */
  static wrap(fnOrObject: any, multi?: boolean, suffix?: string, stop?: boolean): any {
    const ending = suffix ?? 'Future';
    if (typeof fnOrObject === 'function') return wrapFunction(fnOrObject, !!multi, ending, !!stop);
    if (typeof fnOrObject === 'object' && fnOrObject !== null) return wrapObject(fnOrObject, !!multi, ending, false);
    return undefined;
  }
}

/** fn.future()(): a future whose function starts in a new fiber on the next tick, unless a wait() runs it first. */
class TaskFuture<T = any> extends Future<T> {
  /** Its function has started (in its own fiber, or in a waiting one). */
  started = false;

  constructor(
    private readonly fn: (...args: any[]) => T,
    private readonly self: unknown,
    private readonly args: unknown[],
  ) {
    super();
    process.nextTick(() => {
      if (!this.started) Fiber(() => this.runHere()).run();
    });
  }

  /** Runs the function in the current fiber or tasklet and resolves with its outcome. */
  runHere(): void {
    this.started = true;
    let value: T;
    try {
      value = this.fn.apply(this.self, this.args);
    } catch (error) {
      this.throw(error);
      return;
    }
    this.return(value);
  }
}

function runInFiber<T>(fn: (...args: any[]) => T, self: unknown, args: unknown[], detach: boolean): Future<T> {
  const future = new TaskFuture<T>(fn, self, args);
  if (detach) future.detach();
  return future;
}

function wrapFunction(fn: (...args: any[]) => unknown, multi: boolean, suffix: string, stop: boolean): any {
  const wrapped = function (this: unknown, ...args: unknown[]): Future {
    const future = new Future();
    const resolve = future.resolver();
    args.push(multi ? (err: unknown, ...values: unknown[]) => resolve(err, values) : resolve);
    future._ = fn.apply(this, args);
    return future;
  };
  // Functions that carry functions (request.get): wrapped.getFuture too.
  if (!stop) Object.setPrototypeOf(wrapped, wrapObject(fn, multi, suffix, true));
  return wrapped;
}

function wrapObject(obj: Record<string, any>, multi: boolean, suffix: string, ownOnly: boolean): any {
  const out = Object.create(obj);
  for (const key in obj) {
    if (ownOnly && !Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = obj[key];
    if (typeof value !== 'function') continue;
    // Defined, not assigned: an assignment would go through the prototype's
    // [[Set]], which a module namespace object (import * as fs) refuses.
    Object.defineProperty(out, key + suffix, {
      value: wrapFunction(value, multi, suffix, true),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}

declare global {
  interface Function {
    /**
     * fibers/future: a function that runs this one in a new fiber and returns
     * a Future of its value (installed when `tasklet/fibers/future` loads).
     */
    future(detach?: boolean): (...args: any[]) => Future;
  }
}

Object.defineProperty(Function.prototype, 'future', {
  configurable: true,
  writable: true,
  value: function future(this: (...args: any[]) => unknown, detach?: boolean) {
    const fn = this;
    const futureFn = function (this: unknown, ...args: unknown[]): Future {
      return runInFiber(fn, this, args, !!detach);
    };
    futureFn.toString = () => `<<Future ${String(fn)}.future()>>`;
    return futureFn;
  },
});
