// Timeouts (gevent's Timeout and with_timeout): a deadline for the blocking
// calls a tasklet makes inside a scope, and the timed waits join, Event and
// Semaphore build on.
import { TaskletError, checkNumber, checkTaskletFunction, invalidArgType, messages } from './errors';
import { block, getCurrentTasklet, inTasklet, stateOf, unwatch, wake, watch } from './scheduler';
import type { Tasklet } from './tasklet';

/** setTimeout's longest delay (2^31 - 1 ms); longer deadlines chain timers. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms` (any finite ms >= 0, chaining timers past setTimeout's limit); returns the canceller. */
export function armTimer(ms: number, fn: () => void): () => void {
  let left = ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const step = (): void => {
    const d = Math.min(left, MAX_TIMER_MS);
    left -= d;
    timer = setTimeout(tick, d);
  };
  const tick = (): void => {
    if (left > 0) return step();
    timer = undefined;
    fn();
  };
  step();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

/**
 * Blocks the current tasklet like block(cancel), for at most `ms`
 * (undefined or Infinity: no limit): when ms passes while it still waits,
 * the wait is withdrawn with `cancel` and `timedOutValue` is returned.
 */
export function blockWithin(ms: number | undefined, cancel: () => void, timedOutValue: unknown): unknown {
  if (ms === undefined || ms === Infinity) return block(cancel);
  const me = getCurrentTasklet();
  const stop = armTimer(ms, () => {
    const s = stateOf(me);
    if (!s.blocked) return; // woken already; it runs soon with what woke it
    cancel();
    s.resumeValue = timedOutValue;
    s.resumeFailed = false;
    wake(me);
  });
  try {
    return block(() => {
      stop();
      cancel();
    });
  } finally {
    stop();
  }
}

/**
 * A Promise that resolves true when `add`'s callback is called, or false
 * when `ms` passes first (then `remove` takes the callback back).
 */
export function promiseWithin(
  ms: number | undefined,
  add: (done: () => void) => void,
  remove: (done: () => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    let stop: (() => void) | undefined;
    const done = (): void => {
      stop?.();
      resolve(true);
    };
    add(done);
    if (ms !== undefined && ms !== Infinity) {
      stop = armTimer(ms, () => {
        remove(done);
        resolve(false);
      });
    }
  });
}

/** Checks an optional `ms` argument: undefined, or a number >= 0 (Infinity: no limit). */
export function checkMs(ms: unknown): asserts ms is number | undefined {
  if (ms !== undefined) checkNumber('ms', ms, 0);
}

/**
 * Thrown from the blocking call in progress (or the next one) when a
 * {@link Timeout} of the calling tasklet fires. `timeout` is the Timeout
 * that fired, so nested scopes can tell whose deadline passed.
 */
export class TimeoutError extends TaskletError {
  /** The Timeout whose deadline passed. */
  readonly timeout: Timeout;
  constructor(timeout: Timeout) {
    super('ERR_TIMEOUT', messages.timeout(timeout.ms));
    this.name = 'TimeoutError';
    this.timeout = timeout;
  }
}

let startSeq = 0;

/**
 * A deadline for the blocking calls of the tasklet that starts it (gevent's
 * `with Timeout(s):` by hand): start() arms it, cancel() disarms it. When
 * it fires while that tasklet waits (blockOn, sleep, a channel, select,
 * join, Event#wait, acquire, Pool#map, ThreadChannel), the wait is
 * withdrawn and throws a {@link TimeoutError}; when the tasklet is not
 * waiting then (say a value was just delivered to it), nothing delivered is
 * lost: its next blocking call throws instead, before waiting. Started in
 * main, a Timeout never fires (main never waits) and arms no timer.
 */
export class Timeout {
  /** The deadline in milliseconds from start(); Infinity never fires. */
  readonly ms: number;
  #owner: Tasklet | undefined;
  #stop: (() => void) | undefined;
  #fired = false;
  #marked: TimeoutError | undefined;
  #seq = 0;

  /** Creates a timeout that is not running: call start(). */
  constructor(ms: number) {
    checkNumber('ms', ms, 0);
    this.ms = ms;
  }

  /** True while its timer runs (started in a tasklet, not yet fired or cancelled). */
  get pending(): boolean {
    return this.#stop !== undefined;
  }

  /** True once it fired, until the next start(). */
  get fired(): boolean {
    return this.#fired;
  }

  /** Arms it for the calling tasklet; ERR_TIMEOUT_PENDING while it is already pending. Returns this. */
  start(): this {
    if (this.#stop !== undefined) throw new TaskletError('ERR_TIMEOUT_PENDING', messages.timeoutPending());
    this.#unmark();
    this.#fired = false;
    this.#owner = undefined;
    if (!inTasklet() || this.ms === Infinity) return this;
    const me = getCurrentTasklet();
    this.#owner = me;
    this.#seq = ++startSeq;
    watch(me, this);
    this.#stop = armTimer(this.ms, () => this.#fire());
    return this;
  }

  /** Disarms it (and forgets a firing its tasklet has not yet seen); harmless when not started. */
  cancel(): void {
    this.#stop?.();
    this.#stop = undefined;
    if (this.#owner !== undefined) unwatch(this.#owner, this);
    this.#unmark();
    this.#owner = undefined;
  }

  /** @internal Its tasklet ended: no timer may outlive it. */
  ended(): void {
    this.#stop?.();
    this.#stop = undefined;
    this.#marked = undefined;
    this.#owner = undefined;
  }

  #fire(): void {
    this.#stop = undefined;
    this.#fired = true;
    const t = this.#owner!;
    unwatch(t, this);
    const error = new TimeoutError(this);
    const s = stateOf(t);
    // Timers fire in main: the owner is blocked, or queued with what woke it.
    if (s.blocked && s.cancelWait !== undefined && s.cancelWait(true) !== false) {
      s.resumeValue = error;
      s.resumeFailed = true;
      wake(t);
      return;
    }
    // Not waiting now: its next blocking call throws it (outer scopes first).
    this.#marked = error;
    const list = (s.timedOut ??= []) as TimeoutError[];
    let i = list.length;
    while (i > 0 && list[i - 1].timeout.#seq > this.#seq) i--;
    list.splice(i, 0, error);
  }

  #unmark(): void {
    const error = this.#marked;
    this.#marked = undefined;
    if (error === undefined || this.#owner === undefined) return;
    const s = stateOf(this.#owner);
    const list = s.timedOut;
    if (list === undefined) return;
    const i = list.indexOf(error);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) s.timedOut = undefined;
  }
}

/**
 * Runs `fn(...args)` in the calling tasklet with a deadline of `ms`
 * milliseconds (or the given, not yet started {@link Timeout}) and returns
 * its value. When the deadline passes, the blocking call in progress throws
 * a TimeoutError, which leaves withTimeout as it is; an outer scope's
 * TimeoutError passes through untouched. The timer is cleared when fn
 * returns or throws. In main it just calls fn (main never waits).
 */
export function withTimeout<A extends unknown[], R>(ms: number | Timeout, fn: (...args: A) => R, ...args: A): R {
  let timeout: Timeout;
  if (ms instanceof Timeout) timeout = ms;
  else if (typeof ms === 'number') timeout = new Timeout(ms);
  else throw invalidArgType('ms', 'of type number or an instance of Timeout', ms);
  checkTaskletFunction('fn', fn);
  timeout.start();
  try {
    return fn(...args);
  } finally {
    timeout.cancel();
  }
}
