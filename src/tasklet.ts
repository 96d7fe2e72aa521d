// The Tasklet class (Stackless's tasklet) and the module-level scheduling
// functions: spawn, tasklet(f)(...), schedule, scheduleRemove, run, ...
import { native } from './native';
import { TaskletError, TaskletExit, blockingInMain, checkArray, checkOptions, checkTaskletFunction, invalidArgType, messages } from './errors';
import { checkNotInCallback } from './trace';
import * as als from './async-context';
import './exit-pass';
import { joinTasklet, joinTaskletAsync } from './join';
import {
  Phase,
  State,
  checkNotExiting,
  checkSuspendable,
  enqueue,
  ensurePump,
  finish,
  getCurrentTasklet,
  getMainTasklet,
  giveBack,
  inTasklet,
  kState,
  markReady,
  runAll,
  runCount,
  pumpIfRunnable,
  renewSliceForMain,
  runNow,
  setMain,
  stateOf,
  suspend,
  switchNow,
  unqueue,
  wake,
} from './scheduler';

let nextId = 0;

/** Options of {@link Tasklet.kill} and {@link Tasklet.throw}. */
export interface RaiseOptions {
  /**
   * false (default): switch to the tasklet now. true: only make it runnable
   * (withdrawing its wait); it raises when it next runs, and the caller goes on.
   */
  pending?: boolean;
}

function checkRaiseOptions(options: RaiseOptions | undefined): boolean {
  const { pending = false } = checkOptions('options', options, ['pending']);
  if (typeof pending !== 'boolean') throw invalidArgType('options.pending', 'of type boolean', pending);
  return pending;
}

/**
 * A tasklet: a function that runs with its own stack and can suspend
 * anywhere in its call stack (blockOn, channels, schedule) while the event
 * loop and other tasklets go on.
 */
export class Tasklet<R = unknown, A extends unknown[] = any[]> extends native.TaskletBase {
  /** A number unique among this thread's tasklets (main is 0). */
  readonly id: number;
  /** A name for logs and debugging; defaults to the function's name. */
  name: string;
  /** @internal */
  readonly [kState]: State;

  /** Creates a tasklet that is not yet runnable: call setup() (or bind() and insert()). */
  constructor(fn?: (...args: A) => R) {
    super();
    if (fn !== undefined) checkTaskletFunction('fn', fn);
    this.id = nextId++;
    this.name = fn?.name ?? '';
    this[kState] = new State(this, fn as State['fn'], als.capture());
  }

  /** Binds `fn` (and, when given, its arguments, which makes the tasklet alive). Only before it starts. */
  bind(fn: (...args: A) => R, args?: A): this {
    checkTaskletFunction('fn', fn);
    if (args !== undefined) checkArray('args', args);
    const s = this[kState];
    if (this.isMain) throw new TaskletError('ERR_MAIN_TASKLET', messages.main('bind()'));
    if (s.phase >= Phase.Started) throw new TaskletError('ERR_TASKLET_STARTED', messages.started('bind()'));
    s.fn = fn as State['fn'];
    if (this.name === '') this.name = fn.name;
    if (args !== undefined) {
      s.args = args;
      markReady(this);
    }
    return this;
  }

  /** Binds the arguments and inserts the tasklet in the run queue: it starts on the event loop. */
  setup(...args: A): this {
    const s = this[kState];
    if (this.isMain) throw new TaskletError('ERR_MAIN_TASKLET', messages.main('setup()'));
    if (s.phase >= Phase.Started) throw new TaskletError('ERR_TASKLET_STARTED', messages.started('setup()'));
    if (s.fn === undefined) throw new TaskletError('ERR_TASKLET_NOT_BOUND', messages.notBound('setup()'));
    s.args = args;
    markReady(this);
    this.insert();
    return this;
  }

  /** Switches to this tasklet now; the caller stays runnable and resumes right after it yields. */
  run(): void {
    this.#checkRunnable('run()');
    if (this.isCurrent) return;
    checkSuspendable();
    runNow(this);
  }

  /**
   * Switches to this tasklet now, like run(), but the caller leaves the run
   * queue: it runs again only once insert()ed or run() (Stackless's
   * tasklet.switch()). In main it is run(): main never leaves the queue.
   */
  switch(): void {
    this.#checkRunnable('switch()');
    if (this.isCurrent) return;
    checkSuspendable();
    if (!inTasklet()) {
      runNow(this);
      return;
    }
    checkNotExiting();
    switchNow(this);
  }

  /** Appends this tasklet to the run queue (if it is not there). */
  insert(): void {
    this.#checkRunnable('insert()');
    if (this.isCurrent) return;
    enqueue(this);
    renewSliceForMain();
    ensurePump();
  }

  /** Takes this tasklet out of the run queue; it stays alive until inserted again. */
  remove(): void {
    if (this.isMain) throw new TaskletError('ERR_MAIN_TASKLET', messages.main('remove()'));
    if (this.isCurrent) throw new TaskletError('ERR_TASKLET_CURRENT', messages.current('remove()'));
    unqueue(this);
  }

  /**
   * Raises TaskletExit at its suspension point and runs it now; harmless on
   * an ended tasklet. With `{ pending: true }` it is only made runnable (its
   * wait withdrawn) and raises when it next runs; the caller goes on.
   */
  kill(options?: RaiseOptions): void {
    const pending = checkRaiseOptions(options);
    if (this[kState].phase === Phase.Dead) return;
    this.#raise(new TaskletExit(), 'kill()', pending);
  }

  /** Raises `error` at its suspension point and runs it now (with `{ pending: true }`: when it next runs). */
  throw(error: unknown, options?: RaiseOptions): void {
    if (error === undefined) throw invalidArgType('error', 'specified (the error to raise in the tasklet)', error);
    const pending = checkRaiseOptions(options);
    if (this[kState].phase === Phase.Dead) throw new TaskletError('ERR_TASKLET_DEAD', messages.dead('throw()'));
    this.#raise(error, 'throw()', pending);
  }

  /**
   * Blocks the calling tasklet until this one ends (true) or `ms` passes
   * (false; default: no limit). In main: ERR_BLOCKING_IN_MAIN, use joinAsync().
   */
  join(ms?: number): boolean {
    return joinTasklet(this, ms);
  }

  /** A Promise of true when this tasklet ends, false when `ms` passes first. Anywhere. */
  joinAsync(ms?: number): Promise<boolean> {
    return joinTaskletAsync(this, ms);
  }

  #raise(error: unknown, what: string, pending: boolean): void {
    if (this.isMain) throw new TaskletError('ERR_MAIN_TASKLET', messages.main(what));
    if (this.isCurrent) throw error;
    const s = this[kState];
    if (pending && s.phase !== Phase.New) {
      // Ready or started: it raises when it next runs (a ready one before its function starts).
      s.cancelWait?.();
      giveBack(s);
      s.pending = { error };
      wake(this);
      renewSliceForMain();
      return;
    }
    checkNotInCallback();
    if (s.phase !== Phase.Started) {
      // Never ran: it ends here without running (with `error` as its failure).
      finish(this, !(error instanceof TaskletExit), error instanceof TaskletExit ? undefined : error);
      return;
    }
    checkSuspendable();
    s.cancelWait?.();
    s.cancelWait = undefined;
    s.blocked = false;
    giveBack(s);
    s.pending = { error };
    runNow(this);
  }

  #checkRunnable(what: string): void {
    const s = this[kState];
    if (this.isMain) {
      if ((what === 'run()' || what === 'switch()') && this.isCurrent) return;
      throw new TaskletError('ERR_MAIN_TASKLET', messages.main(what));
    }
    if (s.phase === Phase.Dead) throw new TaskletError('ERR_TASKLET_DEAD', messages.dead(what));
    if (s.phase === Phase.New) {
      // Stackless: a tasklet bound to a function but not to arguments is not runnable.
      if (s.fn === undefined) throw new TaskletError('ERR_TASKLET_NOT_BOUND', messages.notBound(what));
      throw new TaskletError('ERR_TASKLET_NOT_RUNNABLE', messages.notRunnable(what));
    }
    if (s.blocked) throw new TaskletError('ERR_TASKLET_BLOCKED', messages.blocked(what));
  }

  /** True from setup() (or bind with arguments) until the tasklet ends; always true for main. */
  get alive(): boolean {
    const p = this[kState].phase;
    return this.isMain || p === Phase.Ready || p === Phase.Started;
  }
  /** Waiting on a channel or a promise. */
  get blocked(): boolean {
    return this[kState].blocked;
  }
  /** In the run queue, or running now. */
  get scheduled(): boolean {
    return this[kState].queued || this.isCurrent;
  }
  /** Whether this is the main tasklet (the event-loop thread). */
  get isMain(): boolean {
    return this === getMainTasklet();
  }
  /** Whether this tasklet is the one running now. */
  get isCurrent(): boolean {
    return this === getCurrentTasklet();
  }
  /** Settles when the tasklet ends: its return value, or its error; TaskletExit resolves to undefined. */
  get result(): Promise<Awaited<R>> {
    const s = this[kState];
    if (s.result === undefined) {
      if (s.outcome !== undefined) {
        s.result = s.outcome.failed ? Promise.reject(s.outcome.value) : Promise.resolve(s.outcome.value);
      } else {
        s.result = new Promise((resolve, reject) => {
          s.resolve = resolve;
          s.reject = reject;
        });
      }
    }
    return s.result as Promise<Awaited<R>>;
  }
}

// The main tasklet stands for the event-loop thread.
const mainTasklet = new Tasklet();
mainTasklet.name = 'main';
stateOf(mainTasklet).phase = Phase.Started;
setMain(mainTasklet);
als.installPatches(inTasklet);
native.setTrackContextFrame(!als.hooksMode);

/** Stackless's shorthand: `tasklet(f)(x, y)` creates, sets up and returns a tasklet running f(x, y). */
export function tasklet<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Tasklet<R, A> {
  checkTaskletFunction('fn', fn);
  return (...args: A) => new Tasklet<R, A>(fn).setup(...args);
}

/** Creates a tasklet running fn(...args); it starts on the event loop without anything more. */
export function spawn<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Tasklet<R, A> {
  checkTaskletFunction('fn', fn); // the constructor lets undefined through (a tasklet without a function)
  return new Tasklet<R, A>(fn).setup(...args);
}

/** Yields: the current tasklet goes to the back of the run queue and the next one runs. */
export function schedule(): void {
  const me = getCurrentTasklet();
  checkSuspendable();
  if (me.isMain) {
    // Main takes part in one round of the queue.
    if (runCount() <= 1) return;
    enqueue(me);
    try {
      suspend(true);
    } finally {
      unqueue(me);
      pumpIfRunnable();
    }
    return;
  }
  enqueue(me);
  suspend(true);
}

/** Yields and leaves the run queue: the tasklet sleeps until someone insert()s or run()s it. */
export function scheduleRemove(): void {
  if (!inTasklet()) {
    throw blockingInMain('scheduleRemove()', 'use schedule() or await in main');
  }
  checkSuspendable();
  checkNotExiting();
  suspend(false);
}

/** Main only: runs queued tasklets until none is runnable (those waiting on promises need the event loop). */
export function run(): void {
  if (inTasklet()) {
    throw new TaskletError('ERR_TASKLET_CURRENT', 'run() drives the queue from the main thread; in a tasklet use schedule()');
  }
  runAll();
}

/** The tasklet running now (the main tasklet outside any tasklet). */
export function getcurrent(): Tasklet {
  return getCurrentTasklet();
}

/** The main tasklet: the event-loop thread. */
export function getmain(): Tasklet {
  return getMainTasklet();
}

/** The number of runnable tasklets, counting the current one and main. */
export function getruncount(): number {
  return runCount();
}
