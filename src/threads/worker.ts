// The body of a pool worker: takes jobs from the pool's job channel, runs
// their tasks (module exports or function source), awaits returned
// Promises, and sends results or errors back on the result channel.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import type { QuitOrder, TaskSpec, WireJob, WireResult } from './protocol';
import { errorToData } from './protocol';
import { invalidArgValue, messages } from '../errors';
import { POOL_WORKER } from './calls';
import { HANDLE_KEY, ThreadChannel, fromWire } from './thread-channel';

(globalThis as Record<symbol, unknown>)[POOL_WORKER] = true;

const taskRequire = createRequire(path.join(process.cwd(), 'index.js'));
const fromSource = new Map<string, (...args: unknown[]) => unknown>();
const fromModule = new Map<string, Promise<(...args: unknown[]) => unknown>>();

// A real dynamic import() in the CommonJS build (tsc would turn it into require()).
const dynamicImport = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

async function resolve(task: TaskSpec): Promise<(...args: unknown[]) => unknown> {
  if (task.kind === 'source') {
    let fn = fromSource.get(task.source);
    if (fn === undefined) {
      // A function task sees `require`, resolving from the process's cwd.
      fn = new Function('require', `return (${task.source});`)(taskRequire) as (...args: unknown[]) => unknown;
      fromSource.set(task.source, fn);
    }
    return fn;
  }
  const key = `${task.url}#${task.name ?? ''}`;
  let p = fromModule.get(key);
  if (p === undefined) {
    p = dynamicImport(task.url).then(
      (mod) => {
        const name = task.name ?? 'default';
        let fn = mod[name];
        if (fn === undefined && name !== 'default') fn = (mod.default as Record<string, unknown> | undefined)?.[name];
        if (typeof fn !== 'function') throw invalidArgValue('task.export', name, messages.notFunctionExport(task.url));
        return fn as (...args: unknown[]) => unknown;
      },
      (error: unknown) => {
        fromModule.delete(key); // the file may be there next time
        const missing = (error as { url?: unknown } | null)?.url === task.url && task.url.startsWith('file:');
        if (!missing) throw error; // a failure inside the module, or a module it imports
        const notFound = new Error(messages.taskModuleNotFound(fileURLToPath(task.url), task.given, task.cwd));
        (notFound as { code?: string }).code = 'ERR_MODULE_NOT_FOUND';
        throw notFound;
      },
    );
    fromModule.set(key, p);
  }
  return p;
}

/**
 * Resolves once main has taken everything this job printed, or undefined
 * when it has already. Node's worker stdio reaches main by message and
 * calls a write's callback once main has it (callbacks run in order), so
 * waiting for an empty write waits for every earlier one. A job's result is
 * sent only after this: main, which exits once no result is pending (idle
 * workers do not keep it alive), has then written all its tasks' output.
 */
function flushed(): Promise<unknown> | undefined {
  const waits: Array<Promise<unknown>> = [];
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0) waits.push(new Promise((resolve) => stream.write('', resolve)));
  }
  return waits.length === 0 ? undefined : Promise.all(waits);
}

// Pull jobs while there are any; one at a time (a returned Promise is
// awaited before the next job is taken).
const { jobs, results, running } = workerData as {
  jobs: { [HANDLE_KEY]: SharedArrayBuffer };
  results: { [HANDLE_KEY]: SharedArrayBuffer };
  running: Float64Array;
};
const jobChannel = ThreadChannel.from<WireJob | QuitOrder>(jobs);
const resultChannel = ThreadChannel.from<WireResult>(results);

async function serve(): Promise<void> {
  for await (const job of jobChannel) {
    if ('quit' in job) break;
    running[0] = job.id;
    let result: WireResult;
    try {
      let value: unknown;
      for (const call of job.calls) {
        const fn = await resolve(call.task);
        value = await fn(...call.args.map(fromWire));
      }
      result = { id: job.id, ok: true, value };
    } catch (error) {
      result = { id: job.id, ok: false, error: errorToData(error) };
    }
    const wait = flushed();
    if (wait !== undefined) await wait;
    try {
      resultChannel.trySend(result);
    } catch (error) {
      // The value could not be cloned.
      resultChannel.trySend({ id: job.id, ok: false, error: errorToData(error) });
    }
    running[0] = 0;
  }
  process.exit(0);
}
void serve();
