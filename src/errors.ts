// Error classes and the one table of messages used across the library.

/** Stable error codes carried by {@link TaskletError}. */
export type TaskletErrorCode =
  | 'ERR_BLOCKING_IN_MAIN'
  | 'ERR_TASKLET_DEAD'
  | 'ERR_TASKLET_BLOCKED'
  | 'ERR_TASKLET_NOT_BOUND'
  | 'ERR_TASKLET_STARTED'
  | 'ERR_TASKLET_CURRENT'
  | 'ERR_MAIN_TASKLET'
  | 'ERR_ASYNC_SCOPE'
  | 'ERR_THREAD_LIMIT'
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_WORKER_EXITED'
  | 'ERR_NOT_EXPOSED'
  | 'ERR_NOT_POOL_WORKER'
  | 'ERR_NO_ANSWER'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_ALREADY_REPLIED'
  | 'ERR_INVALID_ARG';

/** Base class of every error this library throws for misuse, with a stable `code`. */
export class TaskletError extends Error {
  /** A stable string code, e.g. `'ERR_BLOCKING_IN_MAIN'`. */
  readonly code: TaskletErrorCode;
  constructor(code: TaskletErrorCode, message: string) {
    super(message);
    this.name = 'TaskletError';
    this.code = code;
  }
}

/**
 * Raised inside a tasklet by {@link Tasklet.kill} at its suspension point.
 * Let it propagate: a tasklet that ends with it counts as ended normally
 * (its `result` resolves to `undefined`).
 */
export class TaskletExit extends Error {
  constructor(message = 'tasklet killed') {
    super(message);
    this.name = 'TaskletExit';
  }
}

/** Raised by sending on a closed channel, and by receiving on a closed, drained one. */
export class ChannelClosedError extends TaskletError {
  constructor(message: string) {
    super('ERR_CHANNEL_CLOSED', message);
    this.name = 'ChannelClosedError';
  }
}

/** The messages, keyed by what went wrong. */
export const messages = {
  blockingInMain: (what: string, alternative: string) =>
    `${what} cannot block the main thread; ${alternative}`,
  dead: (what: string) => `${what}: the tasklet has ended`,
  blocked: (what: string) => `${what}: the tasklet is blocked (on a channel or a promise)`,
  notBound: (what: string) => `${what}: the tasklet has no function; bind() one first`,
  started: (what: string) => `${what}: the tasklet has already started`,
  current: (what: string) => `${what}: the tasklet is the current one`,
  main: (what: string) => `${what}: not possible on the main tasklet`,
  asyncScope: () =>
    'a tasklet cannot suspend inside AsyncResource#runInAsyncScope() or another ' +
    'async callback scope it opened itself: leave the scope first',
  threadLimit: (size: number) =>
    `the OS refused a new strand thread (stack ${size} bytes); ` +
    'see docs/troubleshooting.md for the thread and memory-map limits',
  channelClosed: (what: string) => `${what}: the channel is closed`,
  selectCase: (index: number) =>
    `The "cases[${index}]" argument must be { receive: channel }, { send: channel, value } or { default: true }`,
  notFunction: (name: string, value: unknown) =>
    `The "${name}" argument must be a function. Received ${describe(value)}`,
  notArray: (name: string, value: unknown) =>
    `The "${name}" argument must be an array. Received ${describe(value)}`,
  notNumber: (name: string, value: unknown, range: string) =>
    `The "${name}" argument must be ${range}. Received ${describe(value)}`,
} as const;

/** The ERR_BLOCKING_IN_MAIN error for `what`, naming the non-blocking `alternative`. */
export function blockingInMain(what: string, alternative: string): TaskletError {
  return new TaskletError('ERR_BLOCKING_IN_MAIN', messages.blockingInMain(what, alternative));
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `type string (${JSON.stringify(value.slice(0, 30))})`;
  return `type ${typeof value} (${String(value)})`;
}

/** Throws a TypeError naming `name` unless `value` is a function. */
export function checkFunction(name: string, value: unknown): asserts value is (...args: any[]) => unknown {
  if (typeof value !== 'function') {
    const err = new TypeError(messages.notFunction(name, value));
    (err as { code?: string }).code = 'ERR_INVALID_ARG';
    throw err;
  }
}

/** Throws a RangeError (or TypeError for non-numbers) naming `name` unless `value` is a number in [min, max]. */
export function checkNumber(name: string, value: unknown, min: number, max = Infinity): asserts value is number {
  const range = max === Infinity ? `a number >= ${min}` : `a number from ${min} to ${max}`;
  if (typeof value !== 'number') {
    const err = new TypeError(messages.notNumber(name, value, range));
    (err as { code?: string }).code = 'ERR_INVALID_ARG';
    throw err;
  }
  if (!(value >= min && value <= max)) {
    const err = new RangeError(messages.notNumber(name, value, range));
    (err as { code?: string }).code = 'ERR_INVALID_ARG';
    throw err;
  }
}
