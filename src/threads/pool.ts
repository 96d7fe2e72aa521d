// ThreadPool: Twisted's reactor thread pool on worker_threads — min 5, max 10
// workers by default, tasks queued FIFO when all are busy, idle workers above
// the minimum retired after idleTimeout, idle workers never keep the process
// alive.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TaskletError, checkNumber } from '../errors';
import { type FromWorker, type Task, type TaskSpec, dataToError } from './protocol';
import { handleCall } from './calls';
import { toWire } from './thread-channel';

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
  id: number;
  calls: Array<{ task: TaskSpec; args: unknown[] }>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

const WORKER_FILE = path.join(__dirname, 'worker.js');

/** Converts a task to its wire form; throws a TypeError naming `task` when it is neither form. */
export function toSpec(task: Task): TaskSpec {
  if (typeof task === 'function') return { kind: 'source', source: task.toString() };
  if (task !== null && typeof task === 'object' && (typeof task.module === 'string' || task.module instanceof URL)) {
    const m = task.module;
    const url = m instanceof URL ? m.href : /^[a-z]+:/i.test(m) ? m : pathToFileURL(path.resolve(m)).href;
    if (task.export !== undefined && typeof task.export !== 'string') {
      throw new TypeError('The "task.export" argument must be a string');
    }
    return { kind: 'module', url, name: task.export };
  }
  throw new TypeError('The "task" argument must be a function or { module: string | URL, export?: string }');
}

/** A pool of worker threads that run tasks; see deferToThread() for the default one. */
export class ThreadPool {
  #min: number;
  #max: number;
  #idleTimeout: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #spawned = 0;

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
    for (const slot of [...this.#slots]) {
      if (this.#slots.length <= this.#max) break;
      if (slot.job === undefined) this.#retire(slot);
    }
  }

  /** Workers now, and the most this pool ever had at once. */
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

  /** Rejects queued tasks, waits for none, and terminates every worker. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new TaskletError('ERR_POOL_CLOSED', 'the thread pool was closed'));
    await Promise.all(this.#slots.map((s) => this.#retire(s)));
  }

  #submit(calls: Job['calls']): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TaskletError('ERR_POOL_CLOSED', 'the thread pool is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, calls, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.job === undefined);
      if (slot === undefined) {
        if (this.#slots.length >= this.#max) return;
        slot = this.#spawn();
      }
      const job = this.#queue.shift()!;
      slot.job = job;
      if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.worker.ref();
      slot.worker.postMessage({ type: 'run', id: job.id, calls: job.calls });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_FILE);
    const slot: Slot = { worker, job: undefined, idleTimer: undefined };
    this.#spawned++;
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'call') {
        handleCall(msg);
        return;
      }
      const job = slot.job;
      if (job === undefined || job.id !== msg.id) return;
      slot.job = undefined;
      if (msg.ok) job.resolve(msg.value);
      else job.reject(dataToError(msg.error));
      this.#idle(slot);
      this.#dispatch();
    });
    worker.on('error', (error) => {
      const job = slot.job;
      slot.job = undefined;
      this.#remove(slot);
      job?.reject(error);
      this.#dispatch();
    });
    worker.on('exit', () => {
      const job = slot.job;
      slot.job = undefined;
      this.#remove(slot);
      job?.reject(new TaskletError('ERR_WORKER_EXITED', 'the worker running this task exited'));
      if (!this.#closed) this.#dispatch();
    });
    this.#slots.push(slot);
    return slot;
  }

  #idle(slot: Slot): void {
    slot.worker.unref(); // an idle worker never keeps the process alive
    if (this.#slots.length > this.#max) {
      void this.#retire(slot);
    } else if (this.#slots.length > this.#min) {
      slot.idleTimer = setTimeout(() => void this.#retire(slot), this.#idleTimeout);
      slot.idleTimer.unref();
    }
  }

  #remove(slot: Slot): void {
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }

  async #retire(slot: Slot): Promise<void> {
    this.#remove(slot);
    await slot.worker.terminate();
  }
}
