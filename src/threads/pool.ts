// ThreadPool: Twisted's reactor thread pool on worker_threads — min 5, max 10
// workers by default, tasks queued FIFO when all are busy, idle workers above
// the minimum retired after idleTimeout, idle workers never keep the process
// alive.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TaskletError, checkNumber } from '../errors';
import { type FromWorker, type QuitOrder, type Task, type TaskSpec, type WireJob, type WireResult, dataToError } from './protocol';
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

/** Converts a task to its wire form; throws a TypeError naming `task` when it is neither form. */
export function toSpec(task: Task): TaskSpec {
  if (typeof task === 'function') return { kind: 'source', source: task.toString() };
  if (task !== null && typeof task === 'object' && (typeof task.module === 'string' || task.module instanceof URL)) {
    const m = task.module;
    const url = m instanceof URL ? m.href : /^[a-z]+:/i.test(m) ? m : fileUrlOf(m);
    if (task.export !== undefined && typeof task.export !== 'string') {
      throw new TypeError('The "task.export" argument must be a string');
    }
    return { kind: 'module', url, name: task.export };
  }
  throw new TypeError('The "task" argument must be a function or { module: string | URL, export?: string }');
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

  constructor(options: ThreadPoolOptions = {}) {
    const { minThreads = 5, maxThreads = Math.max(10, minThreads), idleTimeout = 30_000 } = options;
    checkNumber('options.minThreads', minThreads, 0);
    checkNumber('options.maxThreads', maxThreads, 1);
    checkNumber('options.idleTimeout', idleTimeout, 0);
    if (!Number.isInteger(minThreads)) throw new RangeError('The "options.minThreads" argument must be a whole number');
    if (!Number.isInteger(maxThreads)) throw new RangeError('The "options.maxThreads" argument must be a whole number');
    if (minThreads > maxThreads) {
      throw new RangeError(`The "options.minThreads" argument (${minThreads}) must not exceed "options.maxThreads" (${maxThreads})`);
    }
    this.#min = minThreads;
    this.#max = maxThreads;
    this.#idleTimeout = idleTimeout;
  }

  /** Runs `task(...args)` in a worker; a Promise of its result (a returned Promise is awaited there). */
  run<R = unknown>(task: Task, ...args: unknown[]): Promise<R> {
    try {
      return this.#submit([{ task: toSpec(task), args: args.map(toWire) }]) as Promise<R>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs the calls in order in one worker; resolves with the last result. @internal */
  runMultiple(calls: Array<[Task, unknown[]]>): Promise<unknown> {
    try {
      if (!Array.isArray(calls)) throw new TypeError('The "calls" argument must be an array of [task, args]');
      const specs = calls.map((c, i) => {
        if (!Array.isArray(c) || !Array.isArray(c[1] ?? [])) {
          throw new TypeError(`The "calls[${i}]" argument must be [task, args]`);
        }
        return { task: toSpec(c[0]), args: ((c[1] ?? []) as unknown[]).map(toWire) };
      });
      return this.#submit(specs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Changes the maximum (Twisted's adjustPoolsize); busy workers above it finish their task first. */
  resize(maxThreads: number): void {
    checkNumber('maxThreads', maxThreads, 1);
    this.#max = Math.floor(maxThreads);
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
