// Twisted's reactor thread API over the default ThreadPool.
import { checkNumber } from '../errors';
import { type Task } from './protocol';
import { ThreadPool } from './pool';

let pool: ThreadPool | undefined;

/** The default pool (min 5, max 10 workers), created on first use. */
export function getThreadPool(): ThreadPool {
  pool ??= new ThreadPool();
  return pool;
}

/** Sets the default pool's maximum number of workers. */
export function suggestThreadPoolSize(n: number): void {
  checkNumber('n', n, 1);
  getThreadPool().resize(n);
}

/** Runs `task(...args)` in the default pool; a Promise of its result. */
export function deferToThread<R = unknown>(task: Task, ...args: unknown[]): Promise<R> {
  return getThreadPool().run<R>(task, ...args);
}

/** Runs `task(...args)` in the default pool and does not wait; a failure is reported as a process warning. */
export function callInThread(task: Task, ...args: unknown[]): void {
  report(getThreadPool().run(task, ...args));
}

/** Runs the calls in order, in one worker of the default pool; does not wait; a failure stops the rest and is reported. */
export function callMultipleInThread(calls: Array<[Task, unknown[]]>): void {
  report(getThreadPool().runMultiple(calls));
}

function report(p: Promise<unknown>): void {
  p.catch((error: unknown) =>
    process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'TaskletThreadWarning'),
  );
}

export { ThreadPool, type ThreadPoolOptions } from './pool';
export { exposeToThreads, callFromThread, blockingCallFromThread } from './calls';
export type { Task } from './protocol';
export { ThreadChannel, type ThreadChannelOptions } from './thread-channel';
