// ThreadPool: Twisted's reactor thread pool on worker_threads — min 5, max 10
// workers by default, tasks queued FIFO when all are busy, idle workers above
// the minimum retired after idleTimeout, idle workers never keep the process
// alive.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TaskletError, checkArray, checkNumber, checkOptions, invalidArgType, invalidArgValue, outOfRange } from '../errors';
import type { FromWorker, FunctionTask, ModuleTask, QuitOrder, Task, TaskSpec, WireJob, WireResult } from './protocol';
import { dataToError } from './protocol';
import { handleCall } from './calls';
import { ThreadChannel, toWire } from './thread-channel';

/** Options for {@link ThreadPool}. */
export interface ThreadPoolOptions {
  /** Workers kept even when idle (default 5). */
  minThreads?: number;
  /** Workers at most (default 10). */
  maxThreads?: number;
  /** Ms an idle worker above minThreads lives (default 30,000). */
  idleTimeout?: number;
}

interface Job {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The id of the job this worker runs (0: none), written by the worker. */
  running: Float64Array;
  /** Sent a quit order: it leaves once it is free. */
  quitting: boolean;
}

const WORKER_FILE = path.join(__dirname, 'worker.js');

// Module paths resolved to file URLs (pathToFileURL costs microseconds per
// task); relative paths are keyed with the cwd they were resolved against.
const fileUrls = new Map<string, string>();
function fileUrlOf(file: string): string {
  const key = path.isAbsolute(file) ? file : `${process.cwd()}\0${file}`;
  let url = fileUrls.get(key);
  if (url === undefined) {
    url = pathToFileURL(path.resolve(file)).href;
    if (fileUrls.size < 1000) fileUrls.set(key, url);
  }
  return url;
}

/**
 * Converts a task to its wire form; throws ERR_INVALID_ARG_TYPE /
 * ERR_INVALID_ARG_VALUE naming `name` (or its key) when it is neither form.
 */
export function toSpec(task: Task, name = 'task'): TaskSpec {
  if (typeof task === 'function') return { kind: 'source', source: task.toString() };
  if (task === null || typeof task !== 'object') {
    throw invalidArgType(name, 'a function or an object { module, export? }', task);
  }
  for (const key of Object.keys(task)) {
    if (key !== 'module' && key !== 'export') {
      throw invalidArgValue(`${name}.${key}`, (task as unknown as Record<string, unknown>)[key], 'is not a task key (known: module, export)');
    }
  }
  const m: unknown = task.module;
  if (typeof m !== 'string' && !(m instanceof URL)) {
    throw invalidArgType(`${name}.module`, 'of type string or an instance of URL', m);
  }
  if (m === '') throw invalidArgValue(`${name}.module`, m, 'must not be empty');
  if (task.export !== undefined && typeof task.export !== 'string') {
    throw invalidArgType(`${name}.export`, 'of type string', task.export);
  }
  if (m instanceof URL) return { kind: 'module', url: m.href, name: task.export };
  if (/^[a-z][a-z0-9+.-]+:/i.test(m)) return { kind: 'module', url: m, name: task.export };
  const url = fileUrlOf(m);
  if (path.isAbsolute(m)) return { kind: 'module', url, name: task.export };
  return { kind: 'module', url, name: task.export, given: m, cwd: process.cwd() };
}

/** Checks a count option or argument: an integer in [min, 2^31) (Infinity refused). */
function checkCount(name: string, value: unknown, min: number): asserts value is number {
  checkNumber(name, value, min, 2 ** 31 - 1, true);
}

/** The calls of one job, checked and in wire form; throws on a bad task or an argument that cannot cross. */
function jobCalls(calls: ReadonlyArray<readonly [unknown, readonly unknown[]]>, name: (i: number) => string): WireJob['calls'] {
  return calls.map(([task, args], i) => ({ task: toSpec(task as Task, name(i)), args: args.map(toWire) }));
}

/**
 * A pool of worker threads that run tasks; see deferToThread() for the
 * default one. Jobs wait in one native queue (a ThreadChannel) that every
 * worker pulls from when it is free, so the first free worker runs the next
 * job and a busy pool never needs a round trip through main per task;
 * results come back on a second ThreadChannel.
 */
export class ThreadPool {
  #min: number;
  #max: number;
  #idleTimeout: number;
  #slots: Slot[] = [];
  #jobs = new ThreadChannel<WireJob | QuitOrder>({ capacity: Infinity });
  #results = new ThreadChannel<WireResult>({ capacity: Infinity });
  /** Submitted jobs not settled yet, by id. */
  #pending = new Map<number, Job>();
  #nextId = 1;
  #closed = false;
  #draining = false;
  #spawned = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options?: ThreadPoolOptions) {
    const { minThreads = 5, maxThreads = Math.max(10, minThreads), idleTimeout = 30_000 } = checkOptions('options', options, [
      'minThreads',
      'maxThreads',
      'idleTimeout',
    ]);
    checkCount('options.minThreads', minThreads, 0);
    checkCount('options.maxThreads', maxThreads, 1);
    // setTimeout's limit: a longer delay would fire at once.
    checkNumber('options.idleTimeout', idleTimeout, 0, 2 ** 31 - 1);
    if (minThreads > maxThreads) {
      throw outOfRange('options.minThreads', `<= options.maxThreads (${maxThreads})`, minThreads);
    }
    this.#min = minThreads;
    this.#max = maxThreads;
    this.#idleTimeout = idleTimeout;
  }

  /**
   * Runs `task(...args)` in a worker; a Promise of its result (a returned
   * Promise is awaited there). With a function task, `args` are checked
   * against its parameters and the result is typed; a module task takes
   * any arguments and resolves to `R`. Bad arguments reject (never throw).
   */
  run<F extends FunctionTask>(task: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  run<R = unknown>(task: ModuleTask, ...args: unknown[]): Promise<R>;
  run(task: Task, ...args: unknown[]): Promise<unknown> {
    try {
      return this.start(task, args);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Like run(), but a bad task or an argument that cannot cross throws synchronously. @internal */
  start(task: unknown, args: readonly unknown[]): Promise<unknown> {
    return this.#submit(jobCalls([[task, args]], () => 'task'));
  }

  /**
   * Runs the calls in order in one worker; resolves with the last result. A
   * bad `calls` throws synchronously (its caller, callMultipleInThread, returns nothing). @internal
   */
  startMultiple(calls: unknown): Promise<unknown> {
    checkArray('calls', calls);
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      if (!Array.isArray(c)) throw invalidArgType(`calls[${i}]`, 'an instance of Array ([task, args])', c);
      if (c.length > 2) throw invalidArgValue(`calls[${i}]`, c, 'must be [task, args]');
      if (c[1] !== undefined) checkArray(`calls[${i}][1]`, c[1]);
    }
    return this.#submit(jobCalls((calls as unknown[][]).map((c) => [c[0], (c[1] ?? []) as unknown[]]), (i) => `calls[${i}][0]`));
  }

  /** Changes the maximum (Twisted's adjustPoolsize); busy workers above it finish their task first. */
  resize(maxThreads: number): void {
    checkCount('maxThreads', maxThreads, 1);
    this.#max = maxThreads;
    if (this.#min > this.#max) this.#min = this.#max;
    this.#shrink(this.#live() - this.#max);
  }

  /** Workers now (those told to leave included until they have left). */
  get threads(): number {
    return this.#slots.length;
  }
  /** @internal */
  get spawned(): number {
    return this.#spawned;
  }
  get maxThreads(): number {
    return this.#max;
  }
  get minThreads(): number {
    return this.#min;
  }

  /**
   * Rejects tasks not started yet (ERR_POOL_CLOSED) and running ones
   * (ERR_WORKER_EXITED), waits for none, and terminates every worker.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#jobs.close();
    const running = new Set(this.#slots.map((s) => s.running[0]));
    for (const [id, job] of this.#pending) {
      job.reject(
        running.has(id)
          ? new TaskletError('ERR_WORKER_EXITED', 'the worker running this task exited')
          : new TaskletError('ERR_POOL_CLOSED', 'the thread pool was closed'),
      );
    }
    this.#pending.clear();
    this.#wakeDrain();
    await Promise.all(this.#slots.splice(0).map((s) => s.worker.terminate()));
  }

  #submit(calls: WireJob['calls']): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TaskletError('ERR_POOL_CLOSED', 'the thread pool is closed'));
    const id = this.#nextId++;
    const job = { id, calls };
    // Throws (a rejection for the caller) when an argument cannot be cloned.
    this.#jobs.trySend(job);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#growIfBehind();
      if (!this.#draining) void this.#drain();
    });
  }

  /** Settles jobs as their results arrive, while any is pending (so an idle pool keeps no wait open). */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#pending.size > 0) {
        const r = await this.#results.receiveAsync();
        const job = this.#pending.get(r.id);
        if (job === undefined) continue; // a wake-up (see #wakeDrain), or a job already rejected
        this.#pending.delete(r.id);
        if (r.ok) job.resolve(r.value);
        else job.reject(dataToError(r.error!));
      }
    } finally {
      this.#draining = false;
    }
    this.#armIdleTimer();
  }

  /** Lets a drain waiting on results notice that nothing is pending any more. */
  #wakeDrain(): void {
    if (this.#draining && this.#pending.size === 0) this.#results.trySend({ id: 0, ok: true });
  }

  /** Starts a worker when more jobs are pending than workers can take, up to the maximum. */
  #growIfBehind(): void {
    if (this.#pending.size > this.#live() && this.#slots.length < this.#max) this.#spawn();
  }

  #live(): number {
    let n = 0;
    for (const s of this.#slots) if (!s.quitting) n++;
    return n;
  }

  /** Tells `n` workers (those that are free first) to leave. */
  #shrink(n: number): void {
    for (const slot of this.#slots) {
      if (n <= 0) break;
      if (slot.quitting) continue;
      slot.quitting = true;
      this.#jobs.trySend({ quit: true });
      n--;
    }
  }

  /** Once the pool is idle, workers above the minimum leave after idleTimeout. */
  #armIdleTimer(): void {
    if (this.#idleTimer !== undefined || this.#closed || this.#live() <= this.#min) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#pending.size === 0) this.#shrink(this.#live() - this.#min);
    }, this.#idleTimeout);
    this.#idleTimer.unref();
  }

  #spawn(): void {
    const running = new Float64Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER_FILE, {
      workerData: { jobs: this.#jobs.share(), results: this.#results.share(), running },
    });
    const slot: Slot = { worker, running, quitting: false };
    this.#spawned++;
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'call') handleCall(msg);
    });
    let failure: unknown;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', () => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      const id = running[0];
      const job = this.#pending.get(id);
      if (job !== undefined) {
        this.#pending.delete(id);
        job.reject(failure ?? new TaskletError('ERR_WORKER_EXITED', 'the worker running this task exited'));
      }
      this.#wakeDrain();
      if (!this.#closed) this.#growIfBehind(); // replace it if work is waiting
    });
    // After the listeners (adding a 'message' listener refs the port): a
    // worker never keeps the process alive by itself; pending results do.
    worker.unref();
    this.#slots.push(slot);
  }
}
