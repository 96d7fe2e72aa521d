// node-fibers' Fiber on tasklets: a fiber is a Tasklet that run() switches
// into and Fiber.yield() leaves, handing a value back to whoever ran it.
import { TaskletExit, messages } from '../errors';
import * as als from '../async-context';
import { State, addAlive, kState, removeAlive } from '../run-queue';
import { Phase, checkSuspendable, getCurrentTasklet, runNow, stateOf, suspend } from '../scheduler';
import { Tasklet } from '../tasklet';

let created = 0;
/** Kept for code that sets it: tasklets pool their carriers themselves. node-fibers' default was 120. */
let poolSize = 120;

/**
 * A node-fibers fiber. It is a {@link Tasklet}: blockOn(), channels and every
 * tasklet call work inside it. Create it with `Fiber(fn)` (with or without
 * `new`); see docs/from-fibers.md.
 */
export class FiberImpl extends Tasklet {
  readonly #fn: (...args: unknown[]) => unknown;
  /** Suspended in Fiber.yield(): run() and throwInto() may resume it. */
  #yielding = false;
  /** What run()/throwInto() hands to the pending yield(): a value, or an error to raise. */
  #in: unknown = undefined;
  #inThrows = false;
  /** What the fiber hands back to run(): its yielded or returned value, or its error. */
  #out: unknown = undefined;
  #outThrows = false;
  #handedBack = false;
  /** A run() (or throwInto(), reset()) is waiting for this fiber to yield or end. */
  #awaited = false;
  /** Set by reset(): every yield() throws it until the function returns. */
  #zombie: Error | undefined = undefined;

  /** @internal Use `Fiber(fn)`. */
  constructor(fn: (...args: any[]) => unknown) {
    super();
    this.#fn = fn;
    this.name = fn.name;
  }

  /** @internal The fiber `x` is, or a TypeError naming `what`. */
  static check(x: unknown, what: string): FiberImpl {
    if (typeof x !== 'object' || x === null || !(#fn in x)) throw new TypeError(messages.fiberNotAFiber(what));
    return x as FiberImpl;
  }

  /** @internal The fiber running now, if the current tasklet is one. */
  static current(): FiberImpl | undefined {
    const t = getCurrentTasklet();
    return #fn in t ? (t as FiberImpl) : undefined;
  }

  /**
   * Starts the fiber (its function gets `value` as argument) or resumes it
   * (its pending `Fiber.yield()` returns `value`), and returns when it yields
   * (what it yielded) or ends (what its function returned). Its exceptions
   * come out of here. A fiber that blocks in a tasklet wait (blockOn, a
   * channel) hands control back too: run() then returns undefined and the
   * fiber resumes by itself when its wait completes.
   */
  override run(...args: unknown[]): any {
    const f = FiberImpl.check(this, 'run()');
    if (args.length > 1) throw new TypeError(messages.fiberArity('run()'));
    return f.#enter('run()', args, false);
  }

  /** Resumes the fiber with `error` thrown from its pending `Fiber.yield()`; returns as run() does. */
  throwInto(...args: unknown[]): any {
    const f = FiberImpl.check(this, 'throwInto()');
    if (!f.#yielding) throw new Error(messages.fiberNotYielding());
    if (args.length > 1) throw new TypeError(messages.fiberArity('throwInto()'));
    return f.#enter('throwInto()', args, true);
  }

  /**
   * Unwinds a fiber suspended in `Fiber.yield()`: that yield, and every later
   * one, throws until the function ends. Returns what the function returned
   * (undefined if the unwinding error came out). No effect on a fiber that
   * has not started or has ended.
   */
  reset(...args: unknown[]): any {
    const f = FiberImpl.check(this, 'reset()');
    if (stateOf(f).phase !== Phase.Started) return undefined;
    if (!f.#yielding) throw new Error(messages.fiberNotYielding());
    if (args.length > 0) throw new TypeError('reset() expects no arguments');
    const zombie = new Error(messages.fiberZombie());
    f.#zombie = zombie;
    try {
      return f.#enter('reset()', [zombie], true);
    } catch (error) {
      if (error === zombie) return undefined;
      throw error;
    }
  }

  /** True from the first run() until the function ends (as in node-fibers). */
  get started(): boolean {
    return #fn in this && stateOf(this).phase === Phase.Started;
  }

  #enter(what: string, args: unknown[], throws: boolean): unknown {
    let s = stateOf(this);
    if (s.phase === Phase.Dead) {
      // node-fibers: a fiber whose function ended is reset to its original
      // state, and run() starts the function again (a fresh tasklet state:
      // a new result, no carrier; the engine gives it a stack when it starts).
      s = (this as unknown as { [kState]: State })[kState] = new State(this, undefined, als.capture());
      this.#zombie = undefined;
    }
    if (s.phase !== Phase.New && !this.#yielding) {
      throw new Error(s.blocked ? messages.fiberBlocked(what) : messages.fiberRunning());
    }
    checkSuspendable();
    if (s.phase === Phase.New) {
      created++;
      this.bind(this.#body, args); // alive from here; runNow() starts it
    } else {
      this.#in = args[0];
      this.#inThrows = throws;
    }
    this.#handedBack = false;
    this.#awaited = true;
    try {
      runNow(this);
    } finally {
      this.#awaited = false;
    }
    if (!this.#handedBack) return undefined; // it blocked in a tasklet wait or rescheduled itself
    this.#handedBack = false;
    const out = this.#out;
    this.#out = undefined;
    if (this.#outThrows) {
      this.#outThrows = false;
      throw out;
    }
    return out;
  }

  /** The tasklet's function: runs the fiber's function and hands its outcome to run(). */
  readonly #body = (...args: unknown[]): unknown => {
    let out: unknown;
    let threw = false;
    try {
      out = this.#fn.apply(globalThis, args);
    } catch (error) {
      out = error;
      threw = true;
    }
    if (threw && !this.#awaited) {
      // No run() waits for it (it resumed by itself after a tasklet wait):
      // an uncaught exception, as any error thrown in a callback. A kill()
      // (TaskletExit) ends it quietly, as it ends any tasklet.
      if (!(out instanceof TaskletExit)) process.nextTick(() => { throw out; });
      return undefined;
    }
    this.#out = out;
    this.#outThrows = threw;
    this.#handedBack = true;
    return threw ? undefined : out; // the tasklet's result too (an error goes to run() only)
  };

  /** @internal Fiber.yield() in this fiber. */
  yieldNow(value: unknown): unknown {
    if (this.#zombie !== undefined) throw this.#zombie;
    checkSuspendable();
    const s = stateOf(this);
    this.#out = value;
    this.#outThrows = false;
    this.#handedBack = true;
    this.#yielding = true;
    // Out of the alive ring while it yields: the exit pass leaves a yielding
    // fiber alone, as node-fibers left unfinished fibers at exit.
    removeAlive(s);
    try {
      suspend(false); // back to whoever ran it (it is first in the run queue)
    } finally {
      this.#yielding = false;
      if (s.phase === Phase.Started) addAlive(s);
    }
    const v = this.#in;
    this.#in = undefined;
    if (this.#inThrows) {
      this.#inThrows = false;
      throw v;
    }
    return v;
  }
}

/** node-fibers' constructor: `Fiber(fn)` or `new Fiber(fn)`, with its statics. */
export interface FiberConstructor {
  (fn: (value?: any) => unknown): Fiber;
  new (fn: (value?: any) => unknown): Fiber;
  readonly prototype: Fiber;
  /**
   * Suspends the current fiber and returns to whoever ran it, which gets
   * `value` from its run(); returns the value of the next `run(value)`.
   */
  yield(value?: unknown): any;
  /** The fiber running now; undefined outside fibers (in main or a plain tasklet). */
  readonly current: Fiber | undefined;
  /** Accepted and kept for compatibility; it has no effect (carriers are pooled by the engine). */
  poolSize: number;
  /** How many fibers have started so far. */
  readonly fibersCreated: number;
}

/** A fiber (node-fibers' Fiber instance), which is also a {@link Tasklet}. */
export type Fiber = FiberImpl;

function FiberFunction(this: unknown, fn: unknown): FiberImpl {
  if (typeof fn !== 'function') throw new TypeError(messages.fiberExpectsFunction());
  if (new.target === undefined || new.target === FiberFunction) return new FiberImpl(fn as (...a: unknown[]) => unknown);
  return Reflect.construct(FiberImpl, [fn], new.target) as FiberImpl; // a subclass of Fiber
}

Object.defineProperty(FiberFunction, 'name', { value: 'Fiber' });
FiberFunction.prototype = FiberImpl.prototype;
Object.defineProperty(FiberImpl.prototype, 'constructor', { value: FiberFunction, writable: true, configurable: true });
Object.defineProperties(FiberFunction, {
  yield: {
    writable: true,
    configurable: true,
    value: function (...args: unknown[]): unknown {
      const f = FiberImpl.current();
      if (f === undefined) throw new Error(messages.fiberNoCurrent());
      if (args.length > 1) throw new TypeError(messages.fiberArity('yield()'));
      return f.yieldNow(args[0]);
    },
  },
  current: { configurable: true, get: () => FiberImpl.current() },
  poolSize: {
    configurable: true,
    get: () => poolSize,
    set: (n: unknown) => {
      poolSize = Number(n);
    },
  },
  fibersCreated: { configurable: true, get: () => created },
});

/** node-fibers' `Fiber`: call it with or without `new`. */
export const Fiber = FiberFunction as unknown as FiberConstructor;
