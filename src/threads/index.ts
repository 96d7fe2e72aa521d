// Twisted's reactor thread API over the default ThreadPool.
import { checkNumber } from '../errors';
import type { CheckedCalls, FunctionTask, ModuleTask, Task } from './protocol';
import { ThreadPool } from './pool';

let pool: ThreadPool | undefined;

/** The default pool (min 5, max 10 workers), created on first use. */
export function getThreadPool(): ThreadPool {
  pool ??= new ThreadPool();
  return pool;
}

/** Sets the default pool's maximum number of workers (an integer >= 1). */
export function suggestThreadPoolSize(n: number): void {
  checkNumber('n', n, 1, 2 ** 31 - 1, true);
  getThreadPool().resize(n);
}

/**
 * Runs `task(...args)` in the default pool; a Promise of its result. With a
 * function task, `args` are checked against its parameters and the result
 * is typed; a module task takes any arguments and resolves to `R`. Bad
 * arguments reject (never throw).
 */
export function deferToThread<F extends FunctionTask>(task: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
export function deferToThread<R = unknown>(task: ModuleTask, ...args: unknown[]): Promise<R>;
export function deferToThread(task: Task, ...args: unknown[]): Promise<unknown> {
  try {
    return getThreadPool().start(task, args);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `task(...args)` in the default pool and does not wait; a failure of
 * the task is reported as a process warning. A bad task, or an argument that
 * cannot cross threads, throws here. The process stays alive until the task
 * has finished and what it printed has been written.
 */
export function callInThread<F extends FunctionTask>(task: F, ...args: Parameters<F>): void;
export function callInThread(task: ModuleTask, ...args: unknown[]): void;
export function callInThread(task: Task, ...args: unknown[]): void {
  report(getThreadPool().start(task, args));
}

/**
 * Runs the calls (`[task, args]`) in order, in one worker of the default
 * pool; does not wait; a failure stops the rest and is reported as a
 * process warning. A bad `calls` throws here.
 */
export function callMultipleInThread<const C extends ReadonlyArray<readonly [Task, readonly unknown[]]>>(calls: C & CheckedCalls<C>): void {
  report(getThreadPool().startMultiple(calls));
}

function report(p: Promise<unknown>): void {
  p.catch((error: unknown) =>
    process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'TaskletThreadWarning'),
  );
}

export { ThreadPool, type ThreadPoolOptions } from './pool';
export { exposeToThreads, callFromThread, blockingCallFromThread } from './calls';
export type { Task, ModuleTask, FunctionTask, CheckedCalls } from './protocol';
export { ThreadChannel, type ThreadChannelOptions } from './thread-channel';
