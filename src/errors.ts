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
  | 'ERR_TASKLET_NOT_RUNNABLE'
  | 'ERR_INVALID_ENGINE'
  | 'ERR_ENGINE_UNAVAILABLE'
  | 'ERR_TIMEOUT'
  | 'ERR_TIMEOUT_PENDING'
  | 'ERR_SEMAPHORE_RELEASED'
  | 'ERR_IN_CALLBACK';

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
  asyncScope: (why: string) =>
    `a tasklet cannot suspend inside this async scope (${why}): leave the scope first; ` +
    'see ERR_ASYNC_SCOPE in docs/troubleshooting.md',
  threadLimit: (engine: string, size: number) =>
    `the OS refused a new ${engine === 'fiber' ? 'fiber stack' : 'strand thread'} (stack ${size} bytes); ` +
    'see docs/troubleshooting.md for the thread and memory-map limits',
  channelClosed: (what: string) => `${what}: the channel is closed`,
  invalidEngine: (value: string) =>
    `TASKLET_ENGINE must be 'fiber' or 'strand' (or unset: fibers where they can run). Received ${JSON.stringify(value)}`,
  engineUnavailable: (reason: string) =>
    `TASKLET_ENGINE=fiber, but the fiber engine cannot run in this Node: ${reason} ` +
    '(unset TASKLET_ENGINE to fall back to strands; see docs/troubleshooting.md)',
  notRunnable: (what: string) =>
    `${what}: the tasklet has a function but no arguments; call setup() or bind(fn, args) first`,
  asyncFunction: (name: string) =>
    `The "${name}" argument must be a plain function, not an async function: the code after its first ` +
    'await would run on the main thread, outside the tasklet. Write it as a plain function and wait with blockOn(promise)',
  taskModuleNotFound: (file: string, given: string | undefined, cwd: string | undefined) =>
    given === undefined
      ? `Cannot find the task's module ${file}`
      : `Cannot find the task's module ${file}: { module: '${given}' } is resolved against the current directory ` +
        `(${cwd}); to resolve it against your own file, pass new URL('${given}', import.meta.url) or ` +
        `path.join(__dirname, '${given}')`,
  notFunctionExport: (url: string) => `is not a function export of ${url}`,
  timeout: (ms: number) => `timed out after ${ms} ms`,
  timeoutPending: () => 'Timeout#start(): the timeout is already pending; cancel() it first',
  releasedTooOften: (what: string, n: number) =>
    `${what}: released more often than acquired (the initial value is ${n}); a BoundedSemaphore never exceeds it`,
  inCallback: () =>
    'a schedule or channel callback cannot switch tasklets or block; defer the work ' +
    '(queueMicrotask(), insert(), or kill({ pending: true }))',
  // tasklet/fibers: node-fibers' own wording, which its users' code may match on.
  fiberExpectsFunction: () => 'Fiber expects a function',
  fiberRunning: () => 'This Fiber is already running',
  fiberNotYielding: () => 'This Fiber is not yielding',
  fiberBlocked: (what: string) =>
    `${what}: this Fiber is blocked (in blockOn(), a channel or another tasklet wait); it resumes by itself`,
  fiberZombie: () => 'This Fiber is a zombie',
  fiberArity: (what: string) => `${what} expects 1 or no arguments`,
  fiberNoCurrent: () => 'yield() called with no fiber running',
  fiberNotAFiber: (what: string) => `${what} called on something that is not a Fiber`,
  futureNoFiber: () => "Can't wait without a fiber",
  futureTwice: () => 'Future resolved more than once',
  futureNotReady: () => 'Future must resolve before value is ready',
  futureEmptyError: () => 'Must throw non-empty error',
  futureNotAFuture: (what: string) => `${what} is not a future`,
} as const;

/** The ERR_BLOCKING_IN_MAIN error for `what`, naming the non-blocking `alternative`. */
export function blockingInMain(what: string, alternative: string): TaskletError {
  return new TaskletError('ERR_BLOCKING_IN_MAIN', messages.blockingInMain(what, alternative));
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `type string (${JSON.stringify(value.slice(0, 30))})`;
  return `type ${typeof value} (${String(value)})`;
}

// --- argument checks: Node's own codes and message shapes ------------------------

type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

function withCode<E extends Error>(err: E, code: ArgErrorCode): E & { code: ArgErrorCode } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // Node's own errors read "TypeError [ERR_X]: ..." in stack traces.
  err.name = `${err.name} [${code}]`;
  void err.stack;
  delete (err as { name?: string }).name;
  return err as E & { code: ArgErrorCode };
}

/** "argument" for a plain name (`cases[0]` too), "property" for `options.x` (as Node says). */
function kind(name: string): string {
  return name.includes('.') ? 'property' : 'argument';
}

/** A TypeError with code ERR_INVALID_ARG_TYPE: `The "name" argument must be ${expected}. Received ...`. */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return withCode(new TypeError(`The "${name}" ${kind(name)} must be ${expected}. Received ${describe(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A TypeError with code ERR_INVALID_ARG_VALUE: `The argument 'name' ${reason}. Received ...`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  return withCode(new TypeError(`The ${kind(name)} '${name}' ${reason}. Received ${describe(value)}`), 'ERR_INVALID_ARG_VALUE');
}

/** A RangeError with code ERR_OUT_OF_RANGE: `The value of "name" is out of range. It must be ${range}. Received ...`. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** Throws ERR_INVALID_ARG_TYPE naming `name` unless `value` is a function. */
export function checkFunction(name: string, value: unknown): asserts value is (...args: any[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

const AsyncFunction = (async () => {}).constructor;
const AsyncGeneratorFunction = async function* () {}.constructor;

/**
 * Throws unless `value` is a function a tasklet can run: an async function
 * (or async generator function) would leave the tasklet at its first await,
 * so it is refused with ERR_INVALID_ARG_VALUE saying why.
 */
export function checkTaskletFunction(name: string, value: unknown): asserts value is (...args: any[]) => unknown {
  checkFunction(name, value);
  if (value instanceof AsyncFunction || value instanceof AsyncGeneratorFunction) {
    throw withCode(new TypeError(messages.asyncFunction(name)), 'ERR_INVALID_ARG_VALUE');
  }
}

/**
 * Throws ERR_INVALID_ARG_TYPE unless `value` is a number, ERR_OUT_OF_RANGE
 * unless it lies in [min, max] (NaN never does); with `integer`, a whole
 * number (Infinity passes when max is Infinity).
 */
export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  max = Infinity,
  integer = false,
): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  const whole = integer ? 'an integer ' : '';
  const range = max === Infinity ? `${whole}>= ${min}` : `${whole}>= ${min} and <= ${max}`;
  if (!(value >= min && value <= max)) throw outOfRange(name, range, value);
  if (integer && value !== Infinity && !Number.isInteger(value)) throw outOfRange(name, range, value);
}

/** Throws ERR_INVALID_ARG_TYPE naming `name` unless `value` is a string. */
export function checkString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
}

/** Throws ERR_INVALID_ARG_TYPE naming `name` unless `value` is an array. */
export function checkArray(name: string, value: unknown): asserts value is unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
}

/**
 * Checks an options argument: undefined gives `{}`; anything but a plain
 * object is ERR_INVALID_ARG_TYPE; a key not in `known` is
 * ERR_INVALID_ARG_VALUE naming it (a typo must not be ignored silently).
 */
export function checkOptions<O extends object>(name: string, value: O | undefined, known: readonly string[]): O {
  if (value === undefined) return {} as O;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw invalidArgValue(`${name}.${key}`, (value as Record<string, unknown>)[key], `is not a known option (known: ${known.join(', ')})`);
    }
  }
  return value;
}
