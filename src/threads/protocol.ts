import type { MessagePort } from 'node:worker_threads';

// Messages between the main thread and pool workers, and how tasks and
// errors cross threads (structured clone; functions only as task source).

/** A task a worker runs: a module it imports (with an export, default when omitted) or a self-contained function. */
export type Task = { module: string | URL; export?: string } | ((...args: any[]) => unknown);

/** The wire form of a task. */
export type TaskSpec = { kind: 'module'; url: string; name: string | undefined } | { kind: 'source'; source: string };

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

export function dataToError(data: ErrorData): Error {
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) (error as { code?: unknown }).code = data.code;
  return error;
}
