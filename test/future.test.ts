// tasklet/fibers/future: every Future method, Future.wrap of functions and
// objects, promise interop, Function.prototype.future, and errors after a
// resume reaching uncaughtException (in a child process).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../dist/cjs/index.js';
import Fiber from '../dist/cjs/fibers/index.js';
import Future from '../dist/cjs/fibers/future-index.js';
import { runChild } from './helpers';

const FUTURE = path.join(__dirname, '..', 'dist', 'cjs', 'fibers', 'future-index.js');

/** Runs `fn` in a new fiber; a Promise of its value (run() hands back control when it waits). */
function inFiber<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }).run();
  });
}

function later<T>(value: T, ms = 2): Future<T> {
  const f = new Future<T>();
  setTimeout(() => f.return(value), ms);
  return f;
}

describe('return(), throw(), get(), isResolved()', () => {
  it('get() gives the value, or throws the error', () => {
    const ok = new Future<number>();
    expect(ok.isResolved()).toBe(false);
    ok.return(5);
    expect(ok.isResolved()).toBe(true);
    expect(ok.get()).toBe(5);
    const bad = new Future();
    const err = new Error('bad');
    bad.throw(err);
    expect(() => bad.get()).toThrow(err);
  });

  it('refuses get() before resolution, a second resolution and an empty error', () => {
    const f = new Future();
    expect(() => f.get()).toThrow('Future must resolve before value is ready');
    expect(() => f.throw(undefined)).toThrow('Must throw non-empty error');
    f.return(1);
    expect(() => f.return(2)).toThrow('Future resolved more than once');
    expect(() => f.throw(new Error())).toThrow('Future resolved more than once');
  });
});

describe('resolve(), resolveSuccess(), resolver()', () => {
  it('resolve(cb) calls back on resolution, or at once when already resolved', () => {
    const calls: unknown[] = [];
    const f = new Future<string>();
    expect(f.resolve((err, v) => calls.push([err, v]))).toBe(f);
    f.return('v');
    f.resolve((err, v) => calls.push([err, v]));
    expect(calls).toEqual([[undefined, 'v'], [undefined, 'v']]);
  });

  it('resolve(future, onValue) sends errors to the other future', () => {
    const errors = new Future();
    const f = new Future();
    const err = new Error('e');
    f.resolve(errors, () => expect.unreachable());
    f.throw(err);
    expect(() => errors.get()).toThrow(err);
    const values: unknown[] = [];
    const g = new Future();
    g.resolve(new Future(), (v) => values.push(v));
    g.return(7);
    expect(values).toEqual([7]);
  });

  it('resolveSuccess(cb) calls back with the value and ignores errors', () => {
    const got: unknown[] = [];
    const a = new Future().resolveSuccess((v) => got.push(v));
    const b = new Future().resolveSuccess((v) => got.push(v));
    a.return('a');
    b.throw(new Error('ignored'));
    expect(got).toEqual(['a']);
  });

  it('resolver() is a node-style callback', () => {
    const a = new Future();
    a.resolver()(null, 'x');
    expect(a.get()).toBe('x');
    const b = new Future();
    b.resolver()(new Error('cb error'));
    expect(() => b.get()).toThrow('cb error');
  });
});

describe('proxy(), proxyErrors()', () => {
  it('proxy() resolves another future the same way', () => {
    const a = new Future();
    const b = new Future();
    a.proxy(b);
    a.return(3);
    expect(b.get()).toBe(3);
    const c = new Future();
    const d = new Future();
    c.proxy(d);
    c.throw(new Error('p'));
    expect(() => d.get()).toThrow('p');
  });

  it('proxyErrors() passes only errors, to one future or an array', () => {
    const src = new Future();
    const one = new Future();
    const many = [new Future(), new Future()];
    expect(src.proxyErrors(one)).toBe(src);
    src.proxyErrors(many);
    src.throw(new Error('pe'));
    for (const f of [one, ...many]) expect(() => f.get()).toThrow('pe');
    const quiet = new Future();
    const untouched = new Future();
    quiet.proxyErrors(untouched);
    quiet.return(1);
    expect(untouched.isResolved()).toBe(false);
  });
});

describe('promise interop', () => {
  it('promise() resolves or rejects with the future', async () => {
    await expect(later('p').promise()).resolves.toBe('p');
    const f = new Future();
    const p = f.promise();
    f.throw(new Error('rej'));
    await expect(p).rejects.toThrow('rej');
  });

  it('Future.fromPromise(p).wait() suspends a fiber until the promise settles', async () => {
    const v = await inFiber(() => Future.fromPromise(Promise.resolve(9)).wait());
    expect(v).toBe(9);
    const e = await inFiber(() => {
      try {
        return Future.fromPromise(Promise.reject(new Error('fp'))).wait();
      } catch (err) {
        return (err as Error).message;
      }
    });
    expect(e).toBe('fp');
  });
});

describe('wait() and Future.wait()', () => {
  it('future.wait() in a fiber returns the value once resolved (the event loop runs meanwhile)', async () => {
    expect(await inFiber(() => later(4, 10).wait())).toBe(4);
  });

  it('future.wait() works in a plain tasklet too', async () => {
    const t = spawn(() => later('t').wait());
    expect(await t.result).toBe('t');
  });

  it('future.wait() in main throws node-fibers\' error', () => {
    expect(() => new Future().wait()).toThrow("Can't wait without a fiber");
  });

  it('Future.wait() takes futures and arrays and waits for all; errors stay in the futures', async () => {
    const a = later(1, 5);
    const b = later(2, 1);
    const c = new Future();
    setTimeout(() => c.throw(new Error('c')), 3);
    await inFiber(() => Future.wait(a, [b, c]));
    expect([a.get(), b.get()]).toEqual([1, 2]);
    expect(() => c.get()).toThrow('c');
  });

  it('Future.wait() refuses what is not a future', async () => {
    await expect(inFiber(() => Future.wait(42 as never))).rejects.toThrow('42 is not a future');
  });
});

describe('Future.task(), Function.prototype.future()', () => {
  it('Future.task(fn) runs fn in a new fiber; several give an array in order', async () => {
    expect(await Future.task(() => Fiber.current !== undefined).promise()).toBe(true);
    const all = Future.task(
      () => later('x', 5).wait(),
      () => 'y',
    );
    expect(await all.promise()).toEqual(['x', 'y']);
  });

  it('fn.future() returns a function running fn in a fiber, with this and arguments', async () => {
    const obj = {
      k: 10,
      add(this: { k: number }, n: number) {
        return this.k + n + later(0).wait();
      },
    };
    const addFuture = obj.add.future();
    expect(await addFuture.call(obj, 5).promise()).toBe(15);
    expect(Object.keys(Function.prototype)).not.toContain('future');
  });

  it('wait() on a fn.future()() that has not started runs it in the waiting fiber (as fibers/future did)', async () => {
    const where = await inFiber(() => {
      const me = Fiber.current;
      const inline = (() => Fiber.current === me).future()().wait();
      const started = (() => Fiber.current === me).future()();
      later(0, 1).wait(); // the next tick passes: it starts in a fiber of its own
      return [inline, started.wait()];
    });
    expect(where).toEqual([true, false]);
  });

  it('Future.wait() of an inline fn.future()() that waits itself is not resumed early by the others', async () => {
    const slow = (ms: number): number => {
      later(0, ms).wait();
      return ms;
    };
    const sum = await inFiber(() => {
      const a = slow.future()(15); // runs inline, in this fiber
      const b = slow.future()(2); // its own fiber: resolves while a still waits
      Future.wait(a, b);
      return a.get() + b.get();
    });
    expect(sum).toBe(17);
  });

  it('fn.future()() errors reach resolve(); detached ones are uncaught exceptions (child)', async () => {
    const f = (() => {
      throw new Error('in task');
    }).future()();
    await expect(f.promise()).rejects.toThrow('in task');
    const r = runChild(
      `const Future = require(${JSON.stringify(FUTURE)});\n` +
        `process.on('uncaughtException', (e) => console.log('uncaught', e.message));\n` +
        `(function () { throw new Error('detached'); }).future(true)();`,
    );
    expect(r.stdout).toBe('uncaught detached\n');
  });
});

describe('Future.wrap()', () => {
  function addLater(a: number, b: number, cb: (err: Error | null, v?: number) => void): string {
    setTimeout(() => (a < 0 ? cb(new Error('negative')) : cb(null, a + b)), 1);
    return 'sync value';
  }

  it('turns a node-style function into a Future-returning one (its return value in `_`)', async () => {
    const addFuture = Future.wrap(addLater);
    const f = addFuture(1, 2);
    expect(f).toBeInstanceOf(Future);
    expect(f._).toBe('sync value');
    expect(await inFiber(() => f.wait())).toBe(3);
    await expect(addFuture(-1, 0).promise()).rejects.toThrow('negative');
  });

  it('with multi, the value is the array of every callback value', async () => {
    const two = (cb: (err: null, a: number, b: number) => void) => setImmediate(() => cb(null, 1, 2));
    expect(await Future.wrap(two, true)().promise()).toEqual([1, 2]);
  });

  it('wraps an object: fooFuture twins (or another suffix), the originals kept', async () => {
    const api = {
      base: 100,
      plus(this: { base: number }, n: number, cb: (e: null, v: number) => void) {
        setImmediate(() => cb(null, this.base + n));
      },
    };
    const w = Future.wrap(api);
    expect(typeof w.plus).toBe('function');
    expect(await inFiber(() => w.plusFuture(1).wait())).toBe(101);
    const s = Future.wrap(api, false, 'Sync');
    expect(await s.plusSync(2).promise()).toBe(102);
    expect(s.plusFuture).toBeUndefined();
  });

  it('wraps a module namespace object (import * as fs)', async () => {
    const ns = await import('node:fs');
    const w = Future.wrap(ns);
    expect(await w.readFileFuture(__filename, 'utf8').promise()).toContain('Future.wrap');
  });

  it('a wrapped function keeps the wrapped twins of its function properties (request.get style)', async () => {
    const fn = Object.assign((cb: (e: null, v: string) => void) => cb(null, 'call'), {
      get: (cb: (e: null, v: string) => void) => cb(null, 'get'),
    });
    const w = Future.wrap(fn);
    expect(await w().promise()).toBe('call');
    expect(await w.getFuture().promise()).toBe('get');
  });
});

describe('errors after a Future resumed a fiber (child)', () => {
  it('an error thrown in the fiber after wait() returned reaches uncaughtException', () => {
    const r = runChild(
      `const Future = require(${JSON.stringify(FUTURE)});\n` +
        `const Fiber = require(${JSON.stringify(path.join(path.dirname(FUTURE), 'index.js'))});\n` +
        `process.on('uncaughtException', (e) => console.log('uncaught', e.message));\n` +
        `Fiber(() => { const f = new Future(); setTimeout(() => f.return(), 2); f.wait(); throw new Error('after resume'); }).run();\n` +
        `setTimeout(() => console.log('still alive'), 20);`,
    );
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('uncaught after resume\nstill alive\n');
  });
});
