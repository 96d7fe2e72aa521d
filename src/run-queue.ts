// The run queue and each tasklet's scheduler state: a ring of State objects
// through a sentinel, FIFO with a front for Stackless run(); and the ring of
// alive tasklets (set up or started, not ended), for the exit pass.
import type * as als from './async-context';
import type { Tasklet } from './tasklet';

/** Life of a tasklet: not yet runnable, runnable but not started, started, ended. */
export const enum Phase {
  New = 0,
  Ready = 1,
  Started = 2,
  Dead = 3,
}

/** Something told when a tasklet ends (see State.watchers). */
export interface Watcher {
  ended(failed: boolean, value: unknown): void;
}

/** Puts `value` (an exception when `isException`) back at the front of the channel `from`. */
export type GiveBack = (from: object, value: unknown, isException: boolean) => void;

/** Scheduler-private state of one tasklet (kept behind a module symbol). */
export class State implements als.Holder {
  fn: ((...args: any[]) => unknown) | undefined;
  args: unknown[] = [];
  phase: Phase = Phase.New;
  /** In the run queue (the current tasklet is not in it). */
  queued = false;
  /** Waiting for a promise or a channel. */
  blocked = false;
  /** Run-queue links; the queue is a ring through a sentinel State, so they are never null while queued. */
  prev: State = this;
  next: State = this;
  /** Links of the ring of alive tasklets (set up or started, not ended), for the exit pass. */
  alivePrev: State = this;
  aliveNext: State = this;
  isAlive = false;
  /** An error to raise at the suspension point when next resumed. */
  pending: { error: unknown } | undefined = undefined;
  /**
   * Detaches the tasklet from whatever it waits for (promise, channel). With
   * `soft` (a timeout), a wait whose completion is already on its way may
   * refuse by returning false; without it the wait is always withdrawn.
   */
  cancelWait: ((soft?: boolean) => boolean | void) | undefined = undefined;
  /** What a blockOn() wait delivered. */
  resumeFailed = false;
  resumeValue: unknown = undefined;
  /**
   * A value a channel handed to this tasklet that it has not yet returned
   * from its receive: `heldBack(heldBy, heldValue, heldFailed)` gives it
   * back to the channel when a kill() or throw() overtakes it (giveBack()).
   */
  heldBack: GiveBack | undefined = undefined;
  heldBy: object | undefined = undefined;
  heldValue: unknown = undefined;
  heldFailed = false;
  result: Promise<unknown> | undefined = undefined;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;
  outcome: { failed: boolean; value: unknown } | undefined = undefined;
  /** Told when the tasklet ends (its started Timeouts, joiners, a Pool); undefined unless someone watches. */
  watchers: Watcher[] | undefined = undefined;
  /** TimeoutErrors of Timeouts that fired while it was not blocked: its next blocking call throws the first. */
  timedOut: unknown[] | undefined = undefined;
  als: als.Saved;
  alsResource: Record<symbol, unknown> | undefined = undefined;
  alsOriginal: als.Saved = undefined;
  alsAsyncId = 0;
  alsDepth = -1;
  alsScopes: als.SavedScopes | undefined = undefined;

  constructor(
    /** The tasklet this state belongs to (null only for the run queue's sentinel). */
    readonly tasklet: Tasklet,
    fn: ((...args: any[]) => unknown) | undefined,
    saved: als.Saved,
  ) {
    this.fn = fn;
    this.als = saved;
  }
}

/** Records that `s`'s tasklet holds `value` from the channel `from` until its receive returns (see State.heldBack). */
export function hold(s: State, back: GiveBack, from: object, value: unknown, isException: boolean): void {
  s.heldBack = back;
  s.heldBy = from;
  s.heldValue = value;
  s.heldFailed = isException;
}

/** The tasklet returned (or gave back) what it held. */
export function dropHeld(s: State): void {
  s.heldBack = undefined;
  s.heldBy = undefined;
  s.heldValue = undefined;
  s.heldFailed = false;
}

/**
 * A kill() or throw() is about to overtake the tasklet of `s`: a value a
 * channel handed to it and that it has not yet returned goes back to the
 * front of that channel, for the next receiver (no value sent is lost).
 */
export function giveBack(s: State): void {
  const back = s.heldBack;
  if (back === undefined) return;
  const from = s.heldBy!;
  const value = s.heldValue;
  const isException = s.heldFailed;
  dropHeld(s);
  s.resumeValue = undefined;
  s.resumeFailed = false;
  back(from, value, isException);
}

export const kState: unique symbol = Symbol('tasklet.state');

type WithState = Tasklet & { [kState]: State };

export function stateOf(t: Tasklet): State {
  return (t as WithState)[kState];
}

// --- the run queue: a ring of State objects through a sentinel -----------------
// Linking State objects (not tasklets) through a sentinel makes every link
// operation the same straight-line code: with null checks and lookups
// through the tasklet, V8 kept deoptimizing these functions ("insufficient
// feedback" at a branch), and every deopt walks every suspended stack — with
// 20k tasklets waiting that cost ~1 s while they started.

const queue = new State(null as unknown as Tasklet, undefined, undefined);
let queueLength = 0;

/** Runnable tasklets in the queue (main counted when it is queued). */
export function queuedCount(): number {
  return queueLength;
}

export function enqueue(t: Tasklet, front = false): void {
  link(stateOf(t), front);
}

function link(s: State, front: boolean): void {
  if (s.queued) return;
  s.queued = true;
  queueLength++;
  const before = front ? queue.next : queue;
  s.next = before;
  s.prev = before.prev;
  before.prev.next = s;
  before.prev = s;
}

export function unqueue(t: Tasklet): void {
  unlink(stateOf(t));
}

function unlink(s: State): void {
  if (!s.queued) return;
  s.queued = false;
  queueLength--;
  s.prev.next = s.next;
  s.next.prev = s.prev;
  s.prev = s.next = s;
}

export function dequeue(): Tasklet | null {
  if (queueLength === 0) return null;
  const s = queue.next;
  unlink(s);
  return s.tasklet;
}

// Warm-up on main at load: run the queue operations on private states until
// V8 optimizes them with full feedback. Without it, V8 optimized them while
// the property stores in unlink() still had no feedback, deoptimized, and did
// so again and again (93 deopts while 20k tasklets started on fibers; strands
// showed the same loop, 6 deopts for 5k; not seen in plain JS); each deopt
// walks every suspended stack.
// With it: 1-3 deopts, and 20k tasklets start in 0.5-0.8 s instead of 1.0-1.4 s
// (node bench/scale.bench.js 20000, fiber engine, a loaded 2-core VM).
{
  const dummies = [0, 1, 2].map(() => new State(null as unknown as Tasklet, undefined, undefined));
  for (let i = 0; i < 3000; i++) {
    for (const d of dummies) link(d, (i & 1) === 0);
    for (const d of dummies) unlink(d);
  }
}

/** The first tasklet in the run queue, if any. */
export function firstQueued(): Tasklet | null {
  return queueLength === 0 ? null : queue.next.tasklet;
}


// --- the alive tasklets: another ring through a sentinel -----------------------
// Intrusive links rather than Sets: two Set operations per tasklet start and
// end (add, delete, and their rehashing) were ~10% of a create-run-finish.

const aliveRing = new State(null as unknown as Tasklet, undefined, undefined);
let aliveLength = 0;

/** The tasklet is set up (runnable) or started: alive until it ends. */
export function addAlive(s: State): void {
  if (s.isAlive) return;
  s.isAlive = true;
  aliveLength++;
  s.aliveNext = aliveRing;
  s.alivePrev = aliveRing.alivePrev;
  aliveRing.alivePrev.aliveNext = s;
  aliveRing.alivePrev = s;
}

export function removeAlive(s: State): void {
  if (!s.isAlive) return;
  s.isAlive = false;
  aliveLength--;
  s.alivePrev.aliveNext = s.aliveNext;
  s.aliveNext.alivePrev = s.alivePrev;
  s.alivePrev = s.aliveNext = s;
}

/** How many tasklets are alive (set up or started, not ended). */
export function aliveCount(): number {
  return aliveLength;
}

/** The alive tasklets now, oldest first (a copy: the caller may end them). */
export function aliveTasklets(): Tasklet[] {
  const out: Tasklet[] = [];
  for (let s = aliveRing.aliveNext; s !== aliveRing; s = s.aliveNext) out.push(s.tasklet);
  return out;
}
