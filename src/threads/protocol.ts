import type { MessagePort } from 'node:worker_threads';

// Messages between the main thread and pool workers, and how tasks and
// errors cross threads (structured clone; functions only as task source).

/**
 * A module task: the worker imports `module` (a path, resolved against the
 * process's current directory when relative, or a file URL) and calls its
 * export `export` (the default export when omitted).
 */
export interface ModuleTask {
  module: string | URL;
  export?: string;
}

/** A self-contained function task: sent by its source text, so it must not use variables of the scope it was written in. */
export type FunctionTask = (...args: any[]) => unknown;

/** A task a worker runs: a module it imports (with an export, default when omitted) or a self-contained function. */
export type Task = ModuleTask | FunctionTask;

/**
 * The calls of callMultipleInThread(), `[task, args]` each: a function
 * task's args are checked against its parameters; other calls as given.
 */
export type CheckedCalls<C extends readonly unknown[]> = {
  [K in keyof C]: C[K] extends readonly [infer F extends FunctionTask, readonly unknown[]] ? readonly [F, Readonly<Parameters<F>>] : C[K];
};

/**
 * The wire form of a task; `given` is a relative module path as the caller
 * wrote it (for the not-found message), `cwd` what it was resolved against.
 */
export type TaskSpec =
  | { kind: 'module'; url: string; name: string | undefined; given?: string; cwd?: string }
  | { kind: 'source'; source: string };

/** An error as it crosses threads. */
export interface ErrorData {
  name: string;
  message: string;
  stack: string | undefined;
  code: unknown;
}

/** main → workers, on the pool's job channel: a job (its calls run in order) */
export type WireJob = { id: number; calls: Array<{ task: TaskSpec; args: unknown[] }> };
/** main → workers, on the job channel: the worker that takes it leaves. */
export type QuitOrder = { quit: true };

/** workers → main, on the pool's result channel (id 0: a wake-up, no job). */
export type WireResult = { id: number; ok: boolean; value?: unknown; error?: ErrorData };

/** worker → main, by postMessage */
export type FromWorker = { type: 'call'; name: string; args: unknown[]; reply?: MessagePort; flag?: SharedArrayBuffer };

/** Reply to a blockingCallFromThread. */
export type CallReply = { ok: true; value: unknown } | { ok: false; error: ErrorData };

export function errorToData(error: unknown): ErrorData {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack, code: (error as { code?: unknown }).code };
  }
  return { name: 'Error', message: String(error), stack: undefined, code: undefined };
}

// Built-in error classes are revived as themselves (so `instanceof TypeError` holds across threads).
const builtins: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

export function dataToError(data: ErrorData): Error {
  const error = new (builtins[data.name] ?? Error)(data.message);
  if (error.name !== data.name) error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) (error as { code?: unknown }).code = data.code;
  return error;
}
