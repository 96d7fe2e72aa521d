// Calls from pool workers back to the main thread (Twisted's callFromThread
// and blockingCallFromThread): main exposes functions by name; a worker, or
// a tasklet in one, calls them over the worker's parent port.
import { isMainThread, parentPort, receiveMessageOnPort, MessageChannel, type MessagePort } from 'node:worker_threads';
import { TaskletError, blockingInMain, checkFunction, checkString, invalidArgType } from '../errors';
import { blockOn } from '../block-on';
import { inTasklet } from '../scheduler';
import { type CallReply, type FromWorker, dataToError, errorToData } from './protocol';

/** Marks this thread as a pool worker (set by the worker body). */
export const POOL_WORKER = Symbol.for('tasklet.poolWorker');

const exposed = new Map<string, (...args: any[]) => unknown>();

/** Main side: makes functions callable by name from pool workers with callFromThread() / blockingCallFromThread(). */
export function exposeToThreads(fns: Record<string, (...args: any[]) => unknown>): void {
  if (fns === null || typeof fns !== 'object' || Array.isArray(fns)) throw invalidArgType('fns', 'of type object', fns);
  const entries = Object.entries(fns);
  for (const [name, fn] of entries) checkFunction(`fns.${name}`, fn); // all or nothing
  for (const [name, fn] of entries) exposed.set(name, fn);
}

function notExposed(name: string): TaskletError {
  return new TaskletError('ERR_NOT_EXPOSED', `no function "${name}" was exposed with exposeToThreads() on the main thread`);
}

/** Main side: runs one call that arrived from a worker. */
export function handleCall(msg: Extract<FromWorker, { type: 'call' }>): void {
  const fn = exposed.get(msg.name);
  const outcome: Promise<unknown> = fn === undefined ? Promise.reject(notExposed(msg.name)) : Promise.resolve().then(() => fn(...msg.args));
  outcome.then(
    (value) => reply(msg, { ok: true, value }),
    (error) => {
      if (msg.reply === undefined) process.emitWarning(error instanceof Error ? error : new Error(String(error)), 'TaskletCallFromThreadWarning');
      reply(msg, { ok: false, error: errorToData(error) });
    },
  );
}

function reply(msg: Extract<FromWorker, { type: 'call' }>, r: CallReply): void {
  if (msg.reply === undefined) return;
  try {
    msg.reply.postMessage(r);
  } catch (error) {
    msg.reply.postMessage({ ok: false, error: errorToData(error) } satisfies CallReply);
  }
  msg.reply.close();
  if (msg.flag !== undefined) {
    const flag = new Int32Array(msg.flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}

function checkWorker(what: string): void {
  if (!(globalThis as Record<symbol, unknown>)[POOL_WORKER] || parentPort === null) {
    throw new TaskletError('ERR_NOT_POOL_WORKER', `${what} works in workers of a ThreadPool (deferToThread, callInThread)`);
  }
}

/** In a pool worker: runs the exposed function `name(...args)` on the main thread's loop; does not wait. */
export function callFromThread(name: string, ...args: unknown[]): void {
  checkString('name', name);
  if (isMainThread) {
    const fn = exposed.get(name);
    if (fn === undefined) throw notExposed(name);
    setImmediate(() => fn(...args));
    return;
  }
  checkWorker('callFromThread()');
  parentPort!.postMessage({ type: 'call', name, args } satisfies FromWorker);
}

/**
 * In a pool worker: runs the exposed function `name(...args)` on the main
 * thread and waits for its result (a returned Promise is awaited there);
 * rethrows its error. Blocks only the calling tasklet, or the worker thread
 * when called outside tasklets. In main: ERR_BLOCKING_IN_MAIN.
 */
export function blockingCallFromThread<R = unknown>(name: string, ...args: unknown[]): R {
  checkString('name', name);
  if (isMainThread) throw blockingInMain('blockingCallFromThread()', 'call the function directly');
  checkWorker('blockingCallFromThread()');
  const { port1, port2 } = new MessageChannel();
  let r: CallReply;
  if (inTasklet()) {
    const answer = new Promise<CallReply>((resolve) => port1.once('message', resolve));
    parentPort!.postMessage({ type: 'call', name, args, reply: port2 } satisfies FromWorker, [port2]);
    r = blockOn(answer);
  } else {
    const flag = new SharedArrayBuffer(4);
    parentPort!.postMessage({ type: 'call', name, args, reply: port2, flag } satisfies FromWorker, [port2]);
    Atomics.wait(new Int32Array(flag), 0, 0);
    r = (receiveMessageOnPort(port1 as MessagePort)?.message as CallReply | undefined) ?? {
      ok: false,
      error: errorToData(new TaskletError('ERR_NO_ANSWER', 'the main thread sent no answer')),
    };
  }
  port1.close();
  if (r.ok) return r.value as R;
  throw dataToError(r.error);
}
