// The scheduler: run queue, current and main tasklet, the switch wrapper and
// the event-loop pump that runs tasklets without any polling timer.
import { native, SWITCH_NO_CARRIER, SWITCH_RESUMED } from './native';
import { TaskletError, TaskletExit, messages } from './errors';
import * as als from './async-context';
import * as trace from './trace';
import type { Tasklet } from './tasklet';
import { Phase, type State, type Watcher, addAlive, dequeue, dropHeld, enqueue, queuedCount, removeAlive, stateOf, unqueue } from './run-queue';

export { type GiveBack, Phase, State, type Watcher, dropHeld, enqueue, giveBack, hold, kState, stateOf, unqueue } from './run-queue';

// --- current and main -----------------------------------------------------

let main!: Tasklet;
let current!: Tasklet;
/** Main waits in the pump: it gets control back when nothing else is runnable or the slice ends. */
let mainPumping = false;
/** Started and not yet ended tasklets (stats().liveTasklets, leak checks). */
let startedCount = 0;
export function liveCount(): number {
  return startedCount;
}

/** The tasklet is alive and runnable from now on (setup(), bind() with arguments). */
export function markReady(t: Tasklet): void {
  const s = stateOf(t);
  s.phase = Phase.Ready;
  addAlive(s);
}

export function setMain(t: Tasklet): void {
  main = t;
  current = t;
}
export function getMainTasklet(): Tasklet {
  return main;
}
export function getCurrentTasklet(): Tasklet {
  return current;
}
export function inTasklet(): boolean {
  return current !== main;
}

export function runCount(): number {
  return queuedCount() + 1 + (current !== main && !stateOf(main).queued ? 1 : 0);
}

// --- time slice -------------------------------------------------------------

let timeSlice = 10;
/** When the open slice ends (performance.now() time); Infinity while run() drives the queue. */
let sliceEnd = Infinity;
let sliceChecks = 0;
/**
 * A slice is open from the first pump of a loop turn until the setImmediate
 * that closes it: every pump in between (microtasks after wakes, spawns,
 * promise callbacks) shares its budget, so no chain of microtasks can keep
 * timers and I/O from their turn.
 */
let sliceOpen = false;
let sliceStart = 0;
/** Main's own code queued a tasklet since the last pump: that pump starts a new slice. */
let mainQueued = false;

export function setTimeSlice(ms: number): void {
  timeSlice = ms;
  if (sliceOpen && sliceEnd !== Infinity) sliceEnd = sliceStart + ms; // applies to the open slice too
}
export function getTimeSlice(): number {
  return timeSlice;
}

function sliceExpired(): boolean {
  // performance.now() costs ~40 ns: look at the clock every 16th switch.
  if ((++sliceChecks & 15) !== 0) return false;
  return performance.now() > sliceEnd;
}

/** Whom the current tasklet hands the isolate to when it suspends or ends. */
export function nextTarget(): Tasklet {
  if (mainPumping && sliceExpired()) return main;
  return dequeue() ?? main;
}

// --- switching ----------------------------------------------------------------

let exiting = false;
/** The exit pass gave up (EXIT_ROUNDS): the pump runs nothing more; native teardown unwinds what is left. */
let halted = false;

/**
 * Switches from the current tasklet to `target` and returns when the caller
 * is resumed; raises the error a kill() or throw() left pending for it.
 */
export function switchTo(target: Tasklet, spin: boolean): void {
  const me = current;
  if (me !== main) als.leave(stateOf(me));
  while (target !== me) {
    if (trace.scheduleHook !== null) traceSwitch(me, target);
    current = target;
    const r = native.switchTo(target === main ? null : target, spin);
    if (r === SWITCH_RESUMED) break;
    current = me;
    if (r !== SWITCH_NO_CARRIER) {
      // Terminated (teardown or worker.terminate()): the termination V8 has
      // pending fires at this loop's back edge; no more user code runs.
      for (;;);
    }
    fail(target, new TaskletError('ERR_THREAD_LIMIT', messages.threadLimit(native.engineInfo()[0], native.setStackSize())));
    target = nextTarget();
  }
  current = me;
  if (me !== main) {
    als.enter(stateOf(me));
    const s = stateOf(me);
    if (s.pending !== undefined) {
      const { error } = s.pending;
      s.pending = undefined;
      throw error;
    }
  }
}

/**
 * Calls the schedule callback (kept out of switchTo(): with none set, a
 * switch pays one compare); `next` leaves the queue in case the callback
 * queued it (kill({ pending: true }), insert()).
 */
function traceSwitch(prev: Tasklet, next: Tasklet): void {
  trace.onSwitch(prev, next);
  unqueue(next);
}

/** Throws unless the current tasklet may suspend here; call before changing any state. */
export function checkSuspendable(): void {
  if (trace.inCallback) trace.throwInCallback();
  if (current !== main) als.checkScope(stateOf(current));
}

/** Whether the current tasklet may switch now (checkSuspendable() would pass, and it is not main). */
export function maySwitchNow(): boolean {
  return current !== main && !trace.inCallback && als.maySuspend(stateOf(current));
}

/**
 * During the exit pass a tasklet that would wait gets TaskletExit instead
 * (nothing is left to wake it); calls that complete without waiting work.
 */
export function checkNotExiting(): void {
  if (exiting && current !== main) throw new TaskletExit('process is exiting');
}

/** Suspends the current tasklet (already out of the queue) until someone resumes it. */
export function suspend(spin: boolean): void {
  switchTo(nextTarget(), spin);
}

// --- the runner: a tasklet's whole life on its strand -------------------------

function runner(t: Tasklet): Tasklet | null {
  const s = stateOf(t);
  let failed = false;
  let value: unknown;
  s.phase = Phase.Started; // alive since markReady(): only a ready tasklet can run
  startedCount++;
  als.enter(s);
  try {
    if (s.pending !== undefined) {
      const { error } = s.pending;
      s.pending = undefined;
      throw error;
    }
    value = s.fn!(...s.args);
  } catch (error) {
    failed = !(error instanceof TaskletExit);
    value = failed ? error : undefined;
  }
  als.leave(s);
  finish(t, failed, value);
  const next = nextTarget();
  if (trace.scheduleHook !== null) traceSwitch(t, next);
  current = next;
  return next === main ? null : next;
}

native.setRunner(runner as (t: object) => object | null);

/** Ends a tasklet: settles its result and releases what it held. */
export function finish(t: Tasklet, failed: boolean, value: unknown): void {
  const s = stateOf(t);
  if (s.phase === Phase.Started) startedCount--;
  s.phase = Phase.Dead;
  s.fn = undefined;
  s.args = [];
  s.blocked = false;
  s.cancelWait = undefined;
  unqueue(t);
  removeAlive(s);
  if (s.result !== undefined) {
    if (failed) s.reject!(value);
    else s.resolve!(value);
    s.resolve = s.reject = undefined;
  } else if (failed) {
    // Nobody asked for the result yet: a rejected promise now, so that an
    // error nobody observes is an unhandled rejection, as for any promise.
    s.result = Promise.reject(value);
  } else {
    s.outcome = { failed, value };
  }
  if (s.watchers !== undefined) endWatchers(s, failed, value);
}

/** Tells whoever watches an ending tasklet (joiners, its Timeouts, a Pool). */
function endWatchers(s: State, failed: boolean, value: unknown): void {
  const ws = s.watchers!;
  s.watchers = undefined;
  s.timedOut = undefined;
  for (const w of ws) {
    try {
      w.ended(failed, value);
    } catch (error) {
      // A bug in a watcher must not break the switch path: report it.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

/** `w` will be told when `t` ends; false (and nothing done) when `t` has already ended. */
export function watch(t: Tasklet, w: Watcher): boolean {
  const s = stateOf(t);
  if (s.phase === Phase.Dead) return false;
  (s.watchers ??= []).push(w);
  return true;
}

/** Stops telling `w` about `t`. */
export function unwatch(t: Tasklet, w: Watcher): void {
  const ws = stateOf(t).watchers;
  if (ws === undefined) return;
  const i = ws.indexOf(w);
  if (i >= 0) ws.splice(i, 1);
}

/** Ends a tasklet that never started, with `error` as its failure. */
function fail(t: Tasklet, error: unknown): void {
  const s = stateOf(t);
  if (s.phase === Phase.Dead) return;
  finish(t, true, error);
}

/** Makes a blocked tasklet runnable again (from a promise callback or a channel). */
export function wake(t: Tasklet): void {
  unblock(t);
  enqueue(t);
  ensurePump();
}

/** Marks a tasklet no longer waiting (it is about to be woken or run). */
export function unblock(t: Tasklet): void {
  const s = stateOf(t);
  s.blocked = false;
  s.cancelWait = undefined;
}

/**
 * Resumes a tasklet whose wait just completed: switches to it at once when
 * `now` and the caller is a tasklet (the caller runs again right after it),
 * else queues it.
 */
export function resume(t: Tasklet, now: boolean): void {
  if (now && current !== main && !trace.inCallback) {
    unblock(t);
    runNow(t);
  } else {
    wake(t);
  }
}

/**
 * Blocks the current tasklet until resume()/wake(); `cancel` detaches it
 * from what it waits on if it is killed meanwhile. The strand may spin
 * briefly before parking (the native baton adapts how long to what its
 * recent waits were like: a tasklet waiting on slow I/O soon parks at once).
 * Returns what the waker left in resumeValue, or throws it when resumeFailed.
 */
export function block(cancel: (soft?: boolean) => boolean | void): unknown {
  if (exiting && current !== main) {
    cancel(); // withdraw the wait just set up, then refuse it
    throw new TaskletExit('process is exiting');
  }
  const s = stateOf(current);
  // A Timeout of this tasklet fired while it was not waiting: this wait is
  // the first that can be interrupted without losing what an earlier one delivered.
  if (s.timedOut !== undefined && cancel(true) !== false) throw takeTimedOut(s);
  s.blocked = true;
  s.cancelWait = cancel;
  suspend(true);
  if (s.heldBack !== undefined) dropHeld(s); // it takes the value now
  const value = s.resumeValue;
  s.resumeValue = undefined;
  if (s.resumeFailed) {
    s.resumeFailed = false;
    throw value;
  }
  return value;
}

function takeTimedOut(s: State): unknown {
  const list = s.timedOut!;
  const error = list.shift();
  if (list.length === 0) s.timedOut = undefined;
  return error;
}

// --- the pump: the event loop runs the queue -----------------------------------

let pumpScheduled = false;

/** Makes sure runnable tasklets run soon: in this macrotask's microtasks (or after the loop's turn once the slice is over). */
export function ensurePump(): void {
  if (pumpScheduled || halted) return;
  pumpScheduled = true;
  queueMicrotask(pump);
}

function pump(): void {
  pumpScheduled = false;
  if (current !== main || queuedCount() === 0 || halted) return;
  if (!sliceOpen || mainQueued) {
    if (!sliceOpen) setImmediate(closeSlice);
    sliceOpen = true;
    mainQueued = false;
    sliceStart = performance.now();
    sliceEnd = sliceStart + timeSlice;
  } else if (performance.now() > sliceEnd) {
    return; // the slice is over: closeSlice() runs the queue after timers and I/O
  }
  mainPumping = true;
  try {
    switchTo(dequeue()!, true);
  } finally {
    mainPumping = false;
  }
}

/**
 * Main's own code queued a tasklet (spawn, insert): it starts in this
 * macrotask's microtasks even when tasklets already spent the slice (a new
 * slice from now on), as the docs promise — it may, for one, be about to
 * consume a rejected promise before Node looks for unhandled rejections.
 * Tasklets that spawn or wake others never renew the slice, so no loop of
 * tasklets can keep the event loop from its turn.
 */
export function renewSliceForMain(): void {
  // The next pump opens the new slice (one clock read per pump, not per spawn).
  if (current === main && !mainPumping) mainQueued = true;
}

/** The loop had its turn (timers, I/O): a new slice for whatever is runnable. */
function closeSlice(): void {
  sliceOpen = false;
  sliceEnd = Infinity;
  pump();
}

/** Runs queued tasklets until none is runnable (main only), ignoring the time slice. */
export function runAll(): void {
  const end = sliceEnd;
  sliceEnd = Infinity;
  try {
    while (queuedCount() > 0) {
      mainPumping = true;
      try {
        switchTo(dequeue()!, true);
      } finally {
        mainPumping = false;
      }
    }
  } finally {
    sliceEnd = end;
  }
}

/** Switches to `t` now and leaves the run queue: the caller runs again once inserted or run (Stackless switch()). */
export function switchNow(t: Tasklet): void {
  unqueue(t);
  switchTo(t, true);
}

/** Switches to `t` now; the current tasklet stays runnable right after it (Stackless run()). */
export function runNow(t: Tasklet): void {
  const me = current;
  unqueue(t);
  enqueue(me, true);
  try {
    switchTo(t, true);
  } finally {
    unqueue(me);
    if (me === main) pumpIfRunnable();
  }
}

/**
 * Main got control back from a switch it made itself (run(), kill(),
 * schedule() in main): tasklets it left runnable must not wait for an
 * unrelated wake-up to run.
 */
export function pumpIfRunnable(): void {
  if (queuedCount() > 0 && !mainPumping) ensurePump();
}

// --- for the exit pass (exit-pass.ts) ---------------------------------------------

export { aliveCount, aliveTasklets, firstQueued, queuedCount } from './run-queue';

/** While the exit pass runs, a tasklet that would wait gets TaskletExit instead. */
export function setExiting(on: boolean): void {
  exiting = on;
}

/** The exit pass gave up: the pump runs nothing more. */
export function halt(): void {
  halted = true;
}
